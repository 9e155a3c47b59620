import Foundation

/// One row of a resource file: a text, which sentence it translates, its language and script.
public struct ParallelTextRow: Sendable, Equatable {
    public var sentence: String
    public var language: String
    /// ISO 15924 codes joined by "+" ("Hani+Hira").
    public var script: String
    public var text: String
}

/// A resource file as written (Resources/README.md): `#` comments, the first being the description, a header
/// `sentence language script text`, then one tab-separated row per text.
public struct ParallelTextFile: Sendable {
    public static let header = ["sentence", "language", "script", "text"]
    public let url: URL
    public let description: String
    public let rows: [ParallelTextRow]

    public init(_ url: URL) throws {
        self.url = url
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ResourceError.unreadable(file: url.path, reason: "cannot be read (\(error.localizedDescription))")
        }
        guard let content = String(data: data, encoding: .utf8) else { throw ResourceError.unreadable(file: url.path, reason: "is not UTF-8") }
        var description = ""
        var sawHeader = false
        var rows = [ParallelTextRow]()
        // Lines split on "\n" only, so a stray "\r" (or any other break) inside a line is reported, not silently a new line.
        for (index, rawLine) in content.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                if description.isEmpty { description = line.dropFirst().trimmingCharacters(in: .whitespaces) }
                continue
            }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            func bad(_ reason: String) -> ResourceError { .badLine(file: url.path, line: number, reason: reason) }
            if !sawHeader {
                guard fields == Self.header else { throw bad("the header must be \(Self.header.joined(separator: "<tab>")), found \(String(line).debugDescription)") }
                sawHeader = true
                continue
            }
            guard fields.count == Self.header.count else {
                throw bad("\(fields.count) tab-separated fields, expected \(Self.header.count) (\(Self.header.joined(separator: ", ")))")
            }
            if let empty = zip(Self.header, fields).first(where: { $0.1.trimmingCharacters(in: .whitespaces).isEmpty }) {
                throw bad("the \(empty.0) is empty")
            }
            if fields[3].contains(where: \.isNewline) { throw bad("the text holds a line break") }
            rows.append(ParallelTextRow(sentence: fields[0], language: fields[1], script: fields[2], text: fields[3]))
        }
        guard sawHeader, !rows.isEmpty else { throw ResourceError.unreadable(file: url.path, reason: "has no rows (a header and at least one text)") }
        self.description = description
        self.rows = rows
    }
}
