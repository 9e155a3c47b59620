import Foundation
import TestSupport
import Testing

@testable import Tokenization

@Suite("Vocabulary")
struct VocabularyTests {
    @Test("NFC and NFD spellings of a word keep their own ids")
    func canonicallyEquivalentEntries() throws {
        let composed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        #expect(composed == decomposed)  // Swift's String equality: exactly why the vocabulary compares bytes
        let vocabulary = Vocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", composed, decomposed])
        #expect(vocabulary.id(of: composed) == 4)
        #expect(vocabulary.id(of: decomposed) == 5)
        var configuration = TokenizerConfiguration()
        configuration.specialTokens = []
        let tokenizer = try BertTokenizer(vocabulary: vocabulary, configuration: configuration)
        #expect(tokenizer.encode(composed).ids == [2, 4, 3])
        #expect(tokenizer.encode(decomposed).ids == [2, 5, 3])
    }

    @Test("every entry of the mBERT vocabulary maps back to its own id, as in tokenizer.json")
    func multilingualVocabularyRoundTrip() throws {
        let vocabulary = try Vocabulary(contentsOf: TestPaths.multilingualCased.appendingPathComponent("vocab.txt"))
        #expect(vocabulary.count == 119547)
        let json = try JSONSerialization.jsonObject(
            with: Data(contentsOf: TestPaths.multilingualCased.appendingPathComponent("tokenizer.json"))) as! [String: Any]
        let reference = (json["model"] as! [String: Any])["vocab"] as! [String: Int]
        // JSONSerialization's dictionary merges canonically equivalent keys too, so compare by id.
        var wrong = [String]()
        for (id, token) in vocabulary.tokens.enumerated() where vocabulary.id(of: token) != id {
            wrong.append("\(id) \(token.debugDescription)")
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(5))")
        #expect(reference.count <= vocabulary.count)
        #expect(vocabulary.id(of: "[MASK]") == 103)
    }

    @Test("a later duplicate line wins, as Hugging Face's and Google's loaders do")
    func duplicateEntries() {
        let vocabulary = Vocabulary(tokens: ["a", "b", "a"])
        #expect(vocabulary.id(of: "a") == 2)
        #expect(vocabulary.id(of: "b") == 1)
        #expect(vocabulary.id(of: "c") == nil)
    }

    @Test("CRLF line endings and an empty file are handled")
    func fileFormats() throws {
        let folder = try makeTemporaryFolder("vocab")
        defer { try? FileManager.default.removeItem(at: folder) }
        let crlf = folder.appendingPathComponent("crlf.txt")
        try Data("[PAD]\r\nhello\r\n".utf8).write(to: crlf)
        #expect(try Vocabulary(contentsOf: crlf).tokens == ["[PAD]", "hello"])
        let empty = folder.appendingPathComponent("empty.txt")
        try Data().write(to: empty)
        #expect(throws: TokenizerError.self) { try Vocabulary(contentsOf: empty) }
        let invalid = folder.appendingPathComponent("invalid.txt")
        try Data([0x61, 0xFF, 0x0A]).write(to: invalid)
        #expect(throws: TokenizerError.self) { try Vocabulary(contentsOf: invalid) }
    }
}

@Suite("tokenizer.json settings")
struct TokenizerJSONTests {
    @Test("the vocabulary is stripped before parsing, and nothing else changes")
    func stripsOnlyVocabularies() throws {
        let json = #"{"model": {"type": "WordPiece", "vocab": {"a": 1, "\"vocab\"": 2, "{": 3}, "x": "vocab"}, "vocab": [1, [2]], "y": {"vocab": 5}}"#
        let stripped = String(decoding: JSONVocabularyStripper.strip(Array(json.utf8)), as: UTF8.self)
        #expect(stripped == #"{"model": {"type": "WordPiece", "vocab":{}, "x": "vocab"}, "vocab":[], "y": {"vocab": 5}}"#)
    }

    @Test("mBERT's tokenizer.json settings are read: cased, CJK split, 100 characters, five special tokens")
    func multilingualSettings() throws {
        let configuration = try TokenizerConfiguration.load(fromModelFolder: TestPaths.multilingualCased)
        #expect(configuration.lowercase == false)
        #expect(configuration.effectiveStripAccents == false)
        #expect(configuration.tokenizeChineseChars)
        #expect(configuration.maxInputCharsPerWord == 100)
        #expect(configuration.specialTokens == ["[CLS]", "[MASK]", "[PAD]", "[SEP]", "[UNK]"])
        #expect(configuration.sources["lowercase"] == "tokenizer.json")
    }
}
