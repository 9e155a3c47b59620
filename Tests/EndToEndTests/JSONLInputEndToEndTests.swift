import Foundation
import TestSupport
import Testing

/// One line of `tokenize --jsonl` output, or of its reference from Hugging Face `tokenizers`
/// (scripts/fixtures/make_jsonl_fuzz.py), with the fields the fuzz compares. Read with JSONDecoder, which
/// keeps a U+FEFF that starts a string (JSONSerialization drops it: the defect these tests are about).
struct TokenizedLine: Decodable, Equatable {
    var id: LineID
    var text: String
    var pair: String?
    var input_ids: [Int]
    var tokens: [String]
    var offsets: [[Int]]
}

/// A line's id: a number for the fuzz's random strings, a name ("edge-…") for its hand-written cases.
enum LineID: Decodable, Equatable {
    case number(Int)
    case name(String)

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            self = .number(number)
        } else {
            self = .name(try container.decode(String.self))
        }
    }
}

func decodeLines<T: Decodable>(_ output: String, as type: T.Type) throws -> [T] {
    try output.split(separator: "\n").map { try JSONDecoder().decode(T.self, from: Data($0.utf8)) }
}

@Suite("--jsonl input: every character of a string reaches the tokenizer, raw or escaped")
struct JSONLInputEndToEndTests {
    let model = TestPaths.multilingualCased.path
    static let fuzzInput = TestPaths.fixtures.appendingPathComponent("tokenizer/jsonl-fuzz.input.jsonl")

    func reference(_ name: String) throws -> [TokenizedLine] {
        let url = TestPaths.fixtures.appendingPathComponent("tokenizer/\(name).jsonl-fuzz.jsonl")
        let lines = try readJSONLines(url, as: TokenizedLine.self)
        // The reference holds every U+FEFF raw: if the decoder dropped one, the comparison would be blind to it.
        let marks = try Data(contentsOf: url).split(separator: 0xEF, omittingEmptySubsequences: false).dropFirst()
            .filter { $0.starts(with: [0xBB, 0xBF]) }.count
        let decoded = lines.reduce(0) { $0 + ($1.text + ($1.pair ?? "")).unicodeScalars.filter { $0 == "\u{FEFF}" }.count }
        #expect(marks > 50 && decoded == marks, "\(url.lastPathComponent): \(marks) byte-order marks, \(decoded) decoded")
        return lines
    }

    func modelFolder(_ name: String) throws -> String {
        if name == "mbert-cased" { return model }
        return try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh").deletingLastPathComponent().path
    }

    @Test("differential fuzz: text, pair, ids, tokens and offsets of every line identical to tokenizers",
          arguments: ["mbert-cased", "xlmr-e5"])
    func fuzz(name: String) throws {
        let expected = try reference(name)
        #expect(expected.count >= 400)
        let result = try Bertscope.run(["tokenize", "--model", try modelFolder(name), "--jsonl", Self.fuzzInput.path])
        #expect(result.status == 0, "\(result.standardError)")
        let lines = try decodeLines(result.standardOutput, as: TokenizedLine.self)
        #expect(lines.count == expected.count)
        let differing = zip(expected, lines).filter { $0 != $1 }
        let shown = differing.prefix(5).map { "expected \($0.0)\n     got \($0.1)" }
        #expect(differing.isEmpty, "\(differing.count) of \(expected.count) lines differ:\n\(shown.joined(separator: "\n"))")
    }

    @Test("issue #11's line: a raw U+FEFF first in the text is kept, and the offsets are tokenizers' ([1, 4])")
    func rawByteOrderMarkInText() throws {
        let golden = try #require(try reference("mbert-cased").first { $0.id == .name("edge-bom-first") })
        let input = Data(#"{"id": 18, "text": "\#u{FEFF}bom"}"#.utf8) + Data("\n".utf8)
        let result = try Bertscope.run(["tokenize", "--model", model, "--jsonl", "-"], input: input)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(!result.standardError.contains("byte-order mark"), "a mark inside a string is no signature: \(result.standardError)")
        let line = try #require(try decodeLines(result.standardOutput, as: TokenizedLine.self).first)
        #expect(line.id == .number(18))
        #expect(line.text == "\u{FEFF}bom")
        #expect(line.offsets == golden.offsets)
        #expect(line.tokens == golden.tokens)
    }

    @Test("embed reads the same records as tokenize: raw U+FEFF, U+2028/U+2029 and C1 controls kept")
    func embedReadsTheSameRecords() throws {
        let tiny = TestPaths.fixtures.appendingPathComponent("engine/tiny-google").path
        var input = Data()
        for text in ["\u{FEFF}dog", "a\u{2028}b\u{2029}c", "x\u{85}y\u{9F}z", "q\\n\u{FEFF}r"] {
            input += Data(#"{"id": 1, "text": "\#(text)", "pair": "\#u{FEFF}cat"}"#.utf8) + Data("\n".utf8)
        }
        let tokenized = try Bertscope.run(["tokenize", "--model", tiny, "--jsonl", "-"], input: input)
        let embedded = try Bertscope.run(["embed", "--model", tiny, "--jsonl", "-"], input: input)
        #expect(tokenized.status == 0 && embedded.status == 0, "\(tokenized.standardError) \(embedded.standardError)")
        let fromTokenize = try decodeLines(tokenized.standardOutput, as: TokenizedLine.self)
        let fromEmbed = try decodeLines(embedded.standardOutput, as: TokenizedLine.self)
        #expect(fromTokenize.map(\.text) == ["\u{FEFF}dog", "a\u{2028}b\u{2029}c", "x\u{85}y\u{9F}z", "q\n\u{FEFF}r"])
        #expect(fromTokenize.allSatisfy { $0.pair == "\u{FEFF}cat" })
        #expect(fromEmbed == fromTokenize)
    }

    @Test("a lone surrogate escape is not text: that line is named and skipped, the others processed, status 1",
          arguments: ["tokenize", "embed"])
    func loneSurrogate(command: String) throws {
        let folder = command == "tokenize" ? model : TestPaths.fixtures.appendingPathComponent("engine/tiny-google").path
        let lines = [
            #"{"id": 1, "text": "before"}"#,
            #"{"id": 2, "text": "high \ud83d alone"}"#,
            #"{"id": 3, "text": "low \ude00 alone"}"#,
            #"{"id": 4, "text": "high then no low \ud83d\u0041"}"#,
            #"{"id": 5, "text": "pair \ud83d\ude00 is fine"}"#,
            #"{"id": 6, "text": "ok", "pair": "\udfff"}"#,
            #"{"id": 7, "text": "after"}"#,
        ]
        let result = try Bertscope.run([command, "--model", folder, "--jsonl", "-"], input: Data(lines.joined(separator: "\n").utf8))
        #expect(result.status == 1)
        for (line, escape) in [(2, #"\ud83d"#), (3, #"\ude00"#), (4, #"\ud83d"#), (6, #"\udfff"#)] {
            #expect(result.standardError.contains("standard input, line \(line): the line has the escape \(escape) at column"),
                    "\(result.standardError)")
        }
        #expect(result.standardError.contains("surrogate"))
        let objects = try decodeLines(result.standardOutput, as: TokenizedLine.self)
        #expect(objects.map(\.id) == [.number(1), .number(5), .number(7)])
        #expect(objects[1].text == "pair \u{1F600} is fine")
    }

    @Test("escaped NUL reaches the tokenizer (and the echoed text) as U+0000")
    func escapedNul() throws {
        let input = Data(#"{"id": 1, "text": "a\u0000b"}"#.utf8)
        let result = try Bertscope.run(["tokenize", "--model", model, "--jsonl", "-"], input: input)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains(#""text":"a\u0000b""#), "\(result.standardOutput)")
        #expect(try decodeLines(result.standardOutput, as: TokenizedLine.self).first?.text == "a\u{0}b")
    }

    @Test("a U+FEFF at the very start of the file is a signature: reported, skipped, line 1 read without it")
    func signature() throws {
        let folder = try makeTemporaryFolder("jsonl-signature")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("in.jsonl")
        try Data("\u{FEFF}{\"id\": 1, \"text\": \"\u{FEFF}x\"}\n{\"id\": 2, \"text\": \"y\"}\n".utf8).write(to: file)
        let result = try Bertscope.run(["tokenize", "--model", model, "--jsonl", file.path])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains("notice: \(file.path) starts with a byte-order mark (U+FEFF)"), "\(result.standardError)")
        let lines = try decodeLines(result.standardOutput, as: TokenizedLine.self)
        // Only the mark before the brace was the signature; the one inside line 1's string is text.
        #expect(lines.map(\.text) == ["\u{FEFF}x", "y"])
    }

    @Test("a U+FEFF before the brace of a later line is no signature: that line is named and skipped")
    func markBeforeALaterLine() throws {
        let input = Data("{\"id\": 1, \"text\": \"x\"}\n\u{FEFF}{\"id\": 2, \"text\": \"y\"}\n{\"id\": 3, \"text\": \"z\"}\n".utf8)
        let result = try Bertscope.run(["tokenize", "--model", model, "--jsonl", "-"], input: input)
        #expect(result.status == 1)
        #expect(result.standardError.contains("line 2: the line is not valid JSON"), "\(result.standardError)")
        #expect(result.standardError.contains("U+FEFF (a byte-order mark"), "\(result.standardError)")
        #expect(!result.standardError.contains("notice"))
        #expect(try decodeLines(result.standardOutput, as: TokenizedLine.self).map(\.id) == [.number(1), .number(3)])
    }

    @Test("malformed lines are each named with a reason and a column; ids are copied as written")
    func malformedLines() throws {
        let lines = [
            "{\"id\": 1, \"text\": \"raw\ttab\"}",
            #"{"id": 2, "text": "trailing comma",}"#,
            #"{"id": 3, "text": "\x"}"#,
            #"{"id": 4, "text": "cut"#,
            String(repeating: "[", count: 100_000),
            #"{"id": 6, "text": "x", "pair": 7}"#,
            #"{"id": 1.50e3, "text": "kept"}"#,
        ]
        let result = try Bertscope.run(["tokenize", "--model", model, "--jsonl", "-"], input: Data(lines.joined(separator: "\n").utf8))
        #expect(result.status == 1)
        let expectedReasons = [
            "line 1: the line is not valid JSON: a raw control character U+0009 inside a string",
            "line 2: the line is not valid JSON: expected a key in double quotes, found '}' at column 36",
            #"line 3: the line is not valid JSON: expected an escape"#,
            "line 4: the line is not valid JSON: expected the closing '\"' of the string, found the end of the line",
            "line 5: the line is not valid JSON: nests arrays and objects deeper than 512 levels",
            "line 6: the line has a \"pair\" that is not a string",
        ]
        for reason in expectedReasons { #expect(result.standardError.contains(reason), "\(result.standardError)") }
        #expect(result.standardOutput.hasPrefix(#"{"id":1.50e3,"text":"kept""#), "\(result.standardOutput)")
    }
}
