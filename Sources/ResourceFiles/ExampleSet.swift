import Foundation

/// A set of parallel sentences: every language has every sentence once, in file order.
public struct ExampleSet: Sendable, Equatable {
    /// The file's name without ".tsv".
    public var name: String
    public var description: String
    public var file: URL
    public var rows: [ParallelTextRow]

    public init(_ file: ParallelTextFile) throws {
        name = file.url.deletingPathExtension().lastPathComponent
        description = file.description
        self.file = file.url
        rows = file.rows
        // Parallel: the same sentences for each language, each once.
        let sentences = Self.ordered(rows.map(\.sentence))
        for language in languages {
            let theirs = rows.filter { $0.language == language }.map(\.sentence)
            if let repeated = Self.ordered(theirs).first(where: { s in theirs.filter { $0 == s }.count > 1 }) {
                throw ResourceError.notParallel(file: file.url.path, reason: "\(language) has sentence \"\(repeated)\" more than once")
            }
            if let missing = sentences.first(where: { !theirs.contains($0) }) {
                throw ResourceError.notParallel(file: file.url.path, reason: "\(language) has no sentence \"\(missing)\"")
            }
        }
    }

    /// Languages in the order they first appear.
    public var languages: [String] { Self.ordered(rows.map(\.language)) }
    /// Sentence names in the order they first appear.
    public var sentences: [String] { Self.ordered(rows.map(\.sentence)) }
    /// Every script code of the set's rows ("Hani+Hira" counts as Hani and Hira).
    public var scripts: [String] { Self.ordered(rows.flatMap { $0.script.split(separator: "+").map(String.init) }) }

    /// The rows of these languages (all when empty), in file order.
    public func rows(languages wanted: [String]) -> [ParallelTextRow] {
        wanted.isEmpty ? rows : rows.filter { wanted.contains($0.language) }
    }

    private static func ordered(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }
}
