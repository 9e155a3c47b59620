import Foundation

/// A new empty folder under the system's temporary folder, named after `label` and made unique. The
/// caller removes it (`defer { try? FileManager.default.removeItem(at: folder) }`).
public func makeTemporaryFolder(_ label: String) throws -> URL {
    let cleaned = label.filter { $0.isLetter || $0.isNumber || $0 == "-" }
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("bertscope-\(cleaned)-\(UUID().uuidString.prefix(8))", isDirectory: true)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}
