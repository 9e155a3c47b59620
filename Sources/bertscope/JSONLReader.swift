import ArgumentParser
import Export

/// One input of a `--jsonl` file: `{"id": ..., "text": ..., "pair": ..., "language": ...}`.
struct JSONLRecord {
    /// The id as compact JSON (a number exactly as written), copied to the output; "null" when absent.
    var idJSON: String
    var text: String
    var pair: String?
    var language: String?

    /// Parses one line; the error says what is wrong with it.
    static func parse(_ bytes: [UInt8]) throws(JSONLLineProblem) -> JSONLRecord {
        guard String(validating: bytes, as: UTF8.self) != nil else { throw JSONLLineProblem("is not valid UTF-8") }
        let value: JSONValue
        do {
            value = try JSONLineParser.parse(bytes)
        } catch {
            throw JSONLLineProblem(error.reason)
        }
        guard case .object(let members) = value else { throw JSONLLineProblem("is not a JSON object") }
        // A repeated key means its last value, as in Python's json and JavaScript.
        func field(_ name: String) -> JSONValue? { members.last { $0.key == name }?.value }
        func optionalString(_ name: String) throws(JSONLLineProblem) -> String? {
            switch field(name) {
            case nil, .null?: return nil
            case .string(let text)?: return text
            default: throw JSONLLineProblem("has a \"\(name)\" that is not a string")
            }
        }
        guard case .string(let text)? = field("text") else { throw JSONLLineProblem("has no string field \"text\"") }
        var id = JSONWriter()
        id.value(field("id") ?? .null)
        return JSONLRecord(idJSON: id.text, text: text, pair: try optionalString("pair"), language: try optionalString("language"))
    }
}

/// What is wrong with one line, as the end of "the line …".
struct JSONLLineProblem: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// A line of a JSON Lines input that is not a record: where it is and why.
struct JSONLLineError: Error, CustomStringConvertible {
    var source: String
    var lineNumber: Int
    var problem: JSONLLineProblem
    var description: String { "\(source), line \(lineNumber): the line \(problem.reason)" }
}

/// Reads the records of a JSON Lines input (a file, or "-" for standard input). Every `--jsonl` reader
/// goes through it, so each command sees the same records: every character of a string reaches the
/// caller unchanged, raw or escaped.
///
/// A U+FEFF is a signature only at the very start of the input, before line 1's opening brace, where
/// JSON could not hold it as data: it is skipped with a notice on standard error. Anywhere else it is a
/// character like any other: text inside a string, an error outside one.
struct JSONLReader {
    /// The input as messages name it.
    let source: String
    private var lines: LineReader
    private let reportsSignature: Bool

    /// With `reportsSignature` false a skipped signature is not reported (for a second pass over a file).
    init(path: String, reportsSignature: Bool = true) throws {
        source = path == "-" ? "standard input" : path
        lines = try LineReader(path: path)
        self.reportsSignature = reportsSignature
    }

    /// The next line that is not blank (spaces and tabs only), without the signature; nil at the end.
    mutating func nextLine() throws -> [UInt8]? {
        while var line = try lines.next() {
            if lines.lineNumber == 1 && line.starts(with: Self.signature) {
                line.removeFirst(Self.signature.count)
                if reportsSignature {
                    printError("notice: \(source) starts with a byte-order mark (U+FEFF): read as the file's encoding signature, not as text, and skipped")
                }
            }
            if !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return line }
        }
        return nil
    }

    /// The next record; nil at the end. A line that is not a record throws a `JSONLLineError`, and the
    /// reader goes on with the next line when asked.
    mutating func next() throws -> JSONLRecord? {
        guard let line = try nextLine() else { return nil }
        do {
            return try JSONLRecord.parse(line)
        } catch {
            throw JSONLLineError(source: source, lineNumber: lines.lineNumber, problem: error)
        }
    }

    /// U+FEFF in UTF-8.
    private static let signature: [UInt8] = [0xEF, 0xBB, 0xBF]
}

/// Runs `body` on every record of a JSON Lines input ("-" for standard input). A line that is not valid
/// UTF-8 or not a record is reported on standard error with its number and skipped; the others are still
/// processed, and the command then exits with status 1.
func forEachJSONLRecord(in path: String, _ body: (JSONLRecord) throws -> Void) throws {
    var reader = try JSONLReader(path: path)
    var failures = 0
    while true {
        let record: JSONLRecord
        do {
            guard let next = try reader.next() else { break }
            record = next
        } catch let error as JSONLLineError {
            failures += 1
            printError("\(error); skipped")
            continue
        }
        try body(record)
    }
    if failures > 0 { throw ExitCode(1) }
}
