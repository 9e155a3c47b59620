import BertEngine
import Embeddings
import Export
import Foundation
import TestSupport
import Testing
import Tokenization

private let model = TinyModel.folder.path

/// Every layer's attention of `text` computed in-process: what the exports should hold.
private func expectedAttention(_ text: String) throws -> (encoding: Encoding, attentions: [Int: [Matrix]]) {
    let (tokenizer, engine) = try TinyModel.loaded.get()
    let encoding = tokenizer.encode(text, pair: nil, maxLength: engine.config.maxPositions)
    let output = try engine.forward([ModelInput(ids: encoding.ids, typeIds: encoding.typeIds)], attentions: .all)[0]
    return (encoding, output.attentions)
}

private func export(_ arguments: [String]) throws -> CommandResult {
    // One text per pass on one thread, so the values match the in-process pass bit for bit.
    try Bertscope.run(["export", "--model", model, "--threads", "1", "--batch-size", "1"] + arguments)
}

@Suite("bertscope export of attention: attention-npy, attention-json, head-stats")
struct AttentionExportTests {
    @Test("attention-npy: float32 (layers, heads, T, T) as numpy reads it, tokens and axes in <name>.tokens.json")
    func npy() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let path = folder.appendingPathComponent("attention.npy").path
        let text = "the dog barks at the man ."
        let result = try export(["--format", "attention-npy", "--out", path, text])
        #expect(result.status == 0, "\(result.standardError)")
        let (encoding, attentions) = try expectedAttention(text)
        let read = try PythonReader.read("attention-npy", path)
        let heads = try #require(attentions[1]?.count)
        #expect(read["dtype"] as? String == "float32")
        #expect(read["shape"] as? [Int] == [attentions.count, heads, encoding.count, encoding.count])
        let expected = attentions.keys.sorted().flatMap { attentions[$0]!.flatMap(\.values) }
        #expect(maxDifference(expected, (read["values"] as? [NSNumber] ?? []).map(\.doubleValue)) == 0)
        let tokens = try #require(read["tokens"] as? [String: Any])
        #expect(tokens["tokens"] as? [String] == encoding.tokens)
        #expect(tokens["layers"] as? [Int] == Array(1...attentions.count))
        #expect(tokens["axes"] as? [String] == ["layer", "head", "from_token", "to_token"])
        #expect(leftovers(in: folder).isEmpty)
    }

    @Test("attention-json: one object per text with its tokens and every layer's heads, as computed directly")
    func json() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let path = folder.appendingPathComponent("attention.json").path
        let texts = ["the dog", "犬 and the cat !"]
        let result = try export(["--format", "attention-json", "--out", path] + texts)
        #expect(result.status == 0, "\(result.standardError)")
        let documents = try #require(try PythonReader.read("attention-json", path)["documents"] as? [[String: Any]])
        #expect(documents.count == texts.count)
        for (text, document) in zip(texts, documents) {
            let (encoding, attentions) = try expectedAttention(text)
            #expect(document["text"] as? String == text)
            #expect(document["tokens"] as? [String] == encoding.tokens)
            let layers = try #require(document["attentions"] as? [[[[NSNumber]]]])
            let ours = layers.flatMap { $0.flatMap { $0.flatMap { $0.map(\.doubleValue) } } }
            #expect(maxDifference(attentions.keys.sorted().flatMap { attentions[$0]!.flatMap(\.values) }, ours) == 0)
        }
    }

    @Test("head-stats: a CSV row per text, layer and head with Clark et al.'s measures")
    func headStatistics() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let path = folder.appendingPathComponent("heads.csv").path
        let texts = ["the dog .", "a cat , a man"]
        let result = try export(["--format", "head-stats", "--out", path] + texts)
        #expect(result.status == 0, "\(result.standardError)")
        let read = try PythonReader.read("head-stats", path)
        #expect(read["header"] as? [String] == ["text_index", "layer", "head", "entropy", "to_start", "to_separator", "to_self",
                                                 "to_previous", "to_next", "to_punctuation"])
        let records = try #require(read["records"] as? [[String]])
        var expected = [[String]]()
        for (index, text) in texts.enumerated() {
            let (encoding, attentions) = try expectedAttention(text)
            for head in HeadStatistics.all(attentions, roles: TokenRoles(encoding)) {
                let measures = [head.entropy, head.toStart, head.toSeparator, head.toSelf, head.toPrevious, head.toNext, head.toPunctuation]
                expected.append([String(index), String(head.layer), String(head.head)] + measures.map { "\($0)" })
            }
        }
        #expect(records == expected)
    }

    @Test("refused: attention-npy of two texts (arguments or JSONL), --layers or --pooling with an attention format; nothing written")
    func refusals() throws {
        let folder = try makeScratchFolder()
        defer { removeScratch(folder) }
        let path = folder.appendingPathComponent("a.npy").path
        let two = try export(["--format", "attention-npy", "--out", path, "one", "two"])
        #expect(two.status == 64 && two.standardError.contains("attention-json"), "\(two.standardError)")
        let jsonl = folder.appendingPathComponent("in.jsonl")
        try Data("{\"text\": \"one\"}\n{\"text\": \"two\"}\n".utf8).write(to: jsonl)
        let fromFile = try export(["--format", "attention-npy", "--out", path, "--jsonl", jsonl.path])
        #expect(fromFile.status != 0 && fromFile.standardError.contains("one text's"), "\(fromFile.standardError)")
        for option in [["--layers", "1"], ["--pooling", "mean"]] {
            let refused = try export(["--format", "head-stats", "--out", folder.appendingPathComponent("h.csv").path] + option + ["x"])
            #expect(refused.status == 64 && refused.standardError.contains("drop --layers and --pooling"), "\(refused.standardError)")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(names == ["in.jsonl"], "\(names)")
    }
}
