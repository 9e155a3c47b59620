import ResourceFiles

/// The resources folder (ResourceFolder.locate), its failure as one clear line.
func resourceFolder() throws -> ResourceFolder {
    try reportingResourceErrors { try ResourceFolder.locate() }
}

/// The baseline's unrelated sentences from the resources folder.
func baselineSentences() throws -> [String] {
    try reportingResourceErrors { try ResourceFolder.locate().baselineSentences() }
}

func reportingResourceErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as ResourceError { throw UserError(error.description) }
}
