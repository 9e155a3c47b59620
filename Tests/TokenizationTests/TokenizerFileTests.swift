import Foundation
import TestSupport
import Testing

@testable import Tokenization

@Suite("tokenizer.json: the pipeline read from the file")
struct TokenizerFileTests {
    static let realE5 = Result { try TokenizerFile.load(TestPaths.require(TestPaths.e5TokenizerJSON, madeBy: "scripts/fetch_test_assets.sh")) }

    static func expectParity(_ tokenizer: some TextTokenizer, _ references: [GoldenEncoding]) throws {
        let problems = mismatches(tokenizer, goldens: references, corpus: try loadCorpus())
        let problemCount = problems.count
        #expect(problemCount == 0, "\(problems.count) of \(references.count) differ:\n\(problems.prefix(8).joined(separator: "\n"))")
    }

    @Test("multilingual-e5-small's real tokenizer.json (Precompiled nmt_nfkc, Replace, Metaspace, Unigram): identical",
          arguments: GoldenParityTests.kinds)
    func realMultilingualE5(kind: String) throws {
        let tokenizer = try Self.realE5.get()
        #expect(tokenizer.family == .unigram && tokenizer.pieceCount == 250_002)
        let references = try goldens("xlmr-e5-hf", over: "xlmr-e5", kind)
        #expect(references.count >= (kind == "singles" ? 3000 : 400))
        try Self.expectParity(tokenizer, references)
    }

    @Test("bert-base-multilingual-cased from its tokenizer.json: identical", arguments: GoldenParityTests.kinds)
    func multilingualCased(kind: String) throws {
        let tokenizer = try TokenizerFile.load(TestPaths.multilingualCased.appendingPathComponent("tokenizer.json"))
        try Self.expectParity(tokenizer, try goldens("mbert-cased", kind))
    }

    @Test("all-MiniLM-L6-v2 (uncased WordPiece) from its tokenizer.json: identical; its own truncation is reported",
          arguments: GoldenParityTests.kinds)
    func uncased(kind: String) throws {
        let folder = try TestPaths.require(TestPaths.miniLM, madeBy: "scripts/fetch_test_assets.sh")
        let tokenizer = try TokenizerFile.load(folder.appendingPathComponent("tokenizer.json"))
        #expect(tokenizer.declaredMaxLength == 128)
        try Self.expectParity(tokenizer, try goldens("minilm-uncased", kind))
    }

    @Test("where vocab.txt and tokenizer.json are both present they agree: the same tokens and settings")
    func vocabularyAgrees() throws {
        for folder in [TestPaths.multilingualCased, try TestPaths.require(TestPaths.miniLM, madeBy: "scripts/fetch_test_assets.sh")] {
            let fromJSON = try #require(try TokenizerFile.load(folder.appendingPathComponent("tokenizer.json")) as? BertTokenizer)
            let fromText = try BertTokenizer(modelFolder: folder)
            // Every id has the same token, except that tokenizer.json cannot name the earlier id of a line
            // vocab.txt has twice; that id is never produced by either.
            let text = fromText.vocabulary.tokens
            #expect(fromJSON.vocabulary.tokens.count == text.count)
            for (id, token) in fromJSON.vocabulary.tokens.enumerated() where token != text[id] {
                #expect(token.isEmpty && text.lastIndex(of: text[id])! > id, "id \(id): \(token.debugDescription) != \(text[id].debugDescription)")
            }
            #expect(fromJSON.configuration == fromText.configuration, "\(folder.lastPathComponent)")
            #expect(fromJSON.template.single == fromText.template.single && fromJSON.template.pair == fromText.template.pair)
        }
    }

    @Test("the real tokenizer.json applies multi-code-point rules the E5S1 map cannot: a decomposed ï stays one letter")
    func multiCodePointRules() throws {
        let text = "nai\u{308}ve"
        let real = try Self.realE5.get().encode(text)
        #expect(real.tokens.contains { $0.contains("ï") }, "\(real.tokens)")
        let embedded = try E5Tokenizer.shared.get().encode(text)
        #expect(!embedded.tokens.contains { $0.contains("ï") }, "\(embedded.tokens)")
    }

    static func write(_ object: [String: Any]) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tokjson-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("tokenizer.json")
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        return url
    }

    static var tinyUnigram: [String: Any] { [
        "model": ["type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["<s>", 0.0], ["</s>", 0.0], ["▁a", -1.0], ["b", -2.0], ["▁", -3.0], ["a", -3.0]]],
        "pre_tokenizer": ["type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true],
        "post_processor": ["type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 1], "trim_offsets": false],
    ] }

    @Test("a component bertscope does not implement is refused, naming the component and the file", arguments: [
        ("model", #"{"type": "BPE", "vocab": {}, "merges": []}"#),
        ("normalizer", #"{"type": "ByteLevel"}"#),
        ("pre_tokenizer", #"{"type": "ByteLevel", "add_prefix_space": false}"#),
        ("post_processor", #"{"type": "ByteLevel"}"#),
    ])
    func refusesUnknownComponents(stage: String, json: String) throws {
        var object = Self.tinyUnigram
        let component = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        object[stage] = component
        let url = try Self.write(object)
        #expect {
            try TokenizerFile.load(url)
        } throws: { error in
            let text = "\(error)"
            return text.contains(url.path) && text.contains(stage) && text.contains(component["type"] as! String)
        }
    }

    @Test("a WordPiece model runs only behind BERT's normalizer and pre-tokenizer; another, or none, is refused by name")
    func wordPieceStages() throws {
        var object = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: TestPaths.multilingualCased.appendingPathComponent("tokenizer.json"))) as? [String: Any])
        object["normalizer"] = ["type": "NFKC"]
        let changed = try Self.write(object)
        #expect { try TokenizerFile.load(changed) } throws: { "\($0)".contains("normalizer NFKC before WordPiece") }
        object["normalizer"] = NSNull()
        let none = try Self.write(object)
        #expect { try TokenizerFile.load(none) } throws: { "\($0)".contains("normalizer (none) before WordPiece") }
    }

    @Test("Metaspace: prepend_scheme always / first / never, and the older add_prefix_space false")
    func metaspaceSchemes() throws {
        func tokens(_ pre: [String: Any], _ text: String, pair: String? = nil) throws -> [String] {
            var object = Self.tinyUnigram
            object["pre_tokenizer"] = pre
            object["added_tokens"] = [["id": 2, "content": "</s>", "special": true, "normalized": false]]
            return try TokenizerFile.load(Self.write(object)).encode(text, pair: pair, maxLength: nil).tokens
        }
        let base: [String: Any] = ["type": "Metaspace", "replacement": "▁"]
        #expect(try tokens(base.merging(["prepend_scheme": "always"]) { $1 }, "ab</s>ab") == ["<s>", "▁a", "b", "</s>", "▁a", "b", "</s>"])
        // `first` prepends only to the text's first stretch, not after an added token.
        #expect(try tokens(base.merging(["prepend_scheme": "first"]) { $1 }, "ab</s>ab") == ["<s>", "▁a", "b", "</s>", "a", "b", "</s>"])
        #expect(try tokens(base.merging(["prepend_scheme": "never"]) { $1 }, "ab a") == ["<s>", "a", "b", "▁a", "</s>"])
        #expect(try tokens(base.merging(["add_prefix_space": false]) { $1 }, "ab a") == ["<s>", "a", "b", "▁a", "</s>"])
    }

    @Test("added tokens: lstrip and rstrip take in the spaces beside them, single_word needs non-word neighbours")
    func addedTokenFlags() throws {
        var object = Self.tinyUnigram
        object["added_tokens"] = [["id": 4, "content": "b", "special": true, "normalized": false, "lstrip": true, "rstrip": true, "single_word": true]]
        let tokenizer = try TokenizerFile.load(Self.write(object))
        let free = tokenizer.encode("a  b  a", pair: nil, maxLength: nil)
        #expect(free.tokens == ["<s>", "▁a", "b", "▁a", "</s>"])
        #expect(free.offsets[2] == TextSpan(1, 6))
        // Inside a word it is not the added token: "ab" is "▁a" and the model's own "b".
        let inWord = tokenizer.encode("ab", pair: nil, maxLength: nil)
        #expect(inWord.offsets[2] == TextSpan(1, 2) && inWord.wordIds[2] == 0)
    }

    @Test("TemplateProcessing items place special tokens and type ids; BERT's and XLM-R's templates are presets")
    func templates() throws {
        let bert = SpecialTokenTemplate.bert(classId: 101, classToken: "[CLS]", separatorId: 102, separatorToken: "[SEP]")
        #expect(bert.specialCount(sequences: 1) == 2 && bert.specialCount(sequences: 2) == 3)
        let roberta = SpecialTokenTemplate.roberta(classId: 0, classToken: "<s>", separatorId: 2, separatorToken: "</s>")
        #expect(roberta.specialCount(sequences: 2) == 4)
        var object = Self.tinyUnigram
        object["post_processor"] = [
            "type": "TemplateProcessing",
            "single": [["Sequence": ["id": "A", "type_id": 0]], ["SpecialToken": ["id": "</s>", "type_id": 0]]],
            "pair": [["Sequence": ["id": "A", "type_id": 0]], ["SpecialToken": ["id": "</s>", "type_id": 0]],
                     ["Sequence": ["id": "B", "type_id": 1]], ["SpecialToken": ["id": "</s>", "type_id": 1]]],
            "special_tokens": ["</s>": ["id": "</s>", "ids": [2], "tokens": ["</s>"]]],
        ]
        let encoding = try TokenizerFile.load(Self.write(object)).encode("a", pair: "b", maxLength: nil)
        #expect(encoding.tokens == ["▁a", "</s>", "▁", "b", "</s>"])
        #expect(encoding.typeIds == [0, 0, 1, 1, 1])
        #expect(encoding.sequenceIds == [0, nil, 1, 1, nil])
    }
}
