import Foundation
import TestSupport
import Testing

@Suite("bertscope tokenize, end to end")
struct TokenizeCommandEndToEndTests {
    let model = TestPaths.multilingualCased.path

    func jsonObjects(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    @Test("--json writes the contract's keys for each text")
    func jsonContract() throws {
        let result = try Bertscope.run(["tokenize", "--model", model, "--json", "Hund und Katze", "犬"])
        #expect(result.status == 0, "\(result.standardError)")
        let objects = try jsonObjects(result.standardOutput)
        #expect(objects.count == 2)
        for key in ["id", "input_ids", "tokens", "offsets", "word_ids"] { #expect(objects[0][key] != nil, "missing \(key)") }
        #expect(objects[1]["tokens"] as? [String] == ["[CLS]", "犬", "[SEP]"])
        #expect((objects[0]["word_ids"] as? [Any])?.first is NSNull)
    }

    @Test("--json: the tokenizer's word_ids stay; linguistic_word_ids and crosses_word_boundary give ICU's words, per text of a pair")
    func linguisticWords() throws {
        let e5 = try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh").deletingLastPathComponent().path
        // XLM-R: <s> ▁ 晴れ る でしょう 。 </s> </s> ▁dog ! </s>; ICU: 晴れる / で / しょう and dog.
        let result = try Bertscope.run(["tokenize", "--model", e5, "--json", "--pair", "dog!", "晴れるでしょう。"])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try #require(try jsonObjects(result.standardOutput).first)
        #expect(object["tokens"] as? [String] == ["<s>", "▁", "晴れ", "る", "でしょう", "。", "</s>", "</s>", "▁dog", "!", "</s>"])
        let tokenizerWords = (object["word_ids"] as? [Any])?.map { $0 as? Int }
        #expect(tokenizerWords == [nil, 0, 0, 0, 0, 0, nil, nil, 0, 0, nil])
        let words = (object["linguistic_word_ids"] as? [Any])?.map { $0 as? Int }
        #expect(words == [nil, 0, 0, 0, 1, nil, nil, nil, 0, nil, nil])
        #expect(object["crosses_word_boundary"] as? [Int] == [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])
    }

    @Test("--model twice: one object per input with each model's fields as --model alone writes them, and its counts; the text output too")
    func twoModels() throws {
        let tiny = try TestModels.multilingualTiny().path
        let e5 = try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh").deletingLastPathComponent().path
        let text = "The dog barks 🦜 犬が吠える"
        let result = try Bertscope.run(["tokenize", "--model", tiny, "--model", e5, "--json", text])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try #require(try jsonObjects(result.standardOutput).first)
        #expect(object["text"] as? String == text && object["id"] as? Int == 0)
        let models = try #require(object["models"] as? [[String: Any]])
        #expect(models.map { $0["model"] as? String } == ["mbert-vocab-tiny-v1", "multilingual-e5-small"])
        var fertilities = [Double]()
        // The unknown token's id in each vocabulary: mBERT's [UNK], XLM-R's <unk> (whose token keeps the text it stands for).
        for (path, model, unknownId) in zip(zip([tiny, e5], models), [100, 3]).map({ ($0.0, $0.1, $1) }) {
            let alone = try Bertscope.run(["tokenize", "--model", path, "--json", text])
            var single = try #require(try jsonObjects(alone.standardOutput).first)
            single["id"] = nil
            single["text"] = nil
            var fields = model
            fields["model"] = nil
            let counts = try #require(fields.removeValue(forKey: "counts") as? [String: Any])
            #expect(NSDictionary(dictionary: fields).isEqual(to: single), "\(fields.keys.sorted()) vs \(single.keys.sorted())")
            // The counts, from the model's own output: its text pieces, the unknown ones, and ICU's words that have pieces.
            let ids = try #require(single["input_ids"] as? [Int]), sequences = try #require(single["sequence_ids"] as? [Any])
            let pieces = ids.indices.filter { sequences[$0] is Int }
            let words = Set(try #require(single["linguistic_word_ids"] as? [Any]).compactMap { $0 as? Int }).count
            #expect(counts["pieces"] as? Int == pieces.count)
            #expect(counts["unknown"] as? Int == pieces.filter { ids[$0] == unknownId }.count)
            #expect(counts["words"] as? Int == words)
            let fertility = try #require(counts["pieces_per_word"] as? Double)
            #expect(abs(fertility - Double(pieces.count) / Double(words)) < 1e-12)
            fertilities.append(fertility)
        }
        #expect((models[0]["counts"] as? [String: Any])?["unknown"] as? Int == 1, "mBERT has no 🦜")
        let table = try Bertscope.run(["tokenize", "--model", tiny, "--model", e5, text])
        #expect(table.status == 0)
        for (name, fertility) in zip(["mbert-vocab-tiny-v1", "multilingual-e5-small"], fertilities) {
            #expect(table.standardOutput.contains("model \(name): ") && table.standardOutput.contains(String(format: "%.2f pieces per word", fertility)),
                    "\(table.standardOutput)")
        }
    }

    @Test("--max-length must leave room for the tokenizer's own special tokens: 3 for a BERT pair, 4 for XLM-R's")
    func maxLengthLeavesRoomForSpecials() throws {
        let bert = try Bertscope.run(["tokenize", "--model", model, "--max-length", "3", "--pair", "y", "x"])
        #expect(bert.status == 0, "\(bert.standardError)")
        let e5 = try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh").deletingLastPathComponent().path
        let tooSmall = try Bertscope.run(["tokenize", "--model", e5, "--max-length", "3", "--pair", "y", "x"])
        #expect(tooSmall.status != 0 && tooSmall.standardError.contains("4 special tokens"), "\(tooSmall.standardError)")
        let enough = try Bertscope.run(["tokenize", "--model", e5, "--max-length", "4", "--pair", "y", "x", "--json"])
        #expect(enough.status == 0 && enough.standardOutput.contains(#""input_ids":[0,2,2,2]"#), "\(enough.standardOutput)")
    }

    @Test("--jsonl - answers each line as it arrives, while standard input stays open")
    func jsonlStreams() throws {
        let process = Process()
        process.executableURL = Bertscope.executable
        process.arguments = ["tokenize", "--model", model, "--jsonl", "-", "--json"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
        try input.fileHandleForWriting.write(contentsOf: Data(#"{"id": 1, "text": "Hund"}"#.utf8 + [0x0A]))
        // The answer must come while the input is still open (a reader waiting for 64 KB would never answer).
        let answered = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var line = Data()
        DispatchQueue.global().async {
            while !line.contains(0x0A), let byte = try? output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty { line += byte }
            answered.signal()
        }
        #expect(answered.wait(timeout: .now() + 30) == .success, "no answer to the first line while standard input is open")
        #expect(String(decoding: line, as: UTF8.self).contains(#""tokens":["[CLS]","Hund","[SEP]"]"#))
    }

    @Test("--jsonl copies ids, reads pairs, and reports a bad line by number while processing the rest")
    func jsonlWithBadLines() throws {
        var input = Data(#"{"id": "a1", "text": "Hello world"}"#.utf8) + Data("\n".utf8)
        input += Data(#"{"id": 2, "text": "bad "#.utf8) + Data([0xFF, 0xFE]) + Data(#""}"#.utf8) + Data("\n".utf8)
        input += Data("not json\n".utf8)
        input += Data(#"{"id": {"k": [1]}, "text": "Guten Tag", "pair": "Good day"}"#.utf8) + Data("\n".utf8)
        let result = try Bertscope.run(["tokenize", "--model", model, "--jsonl", "-"], input: input)
        #expect(result.status == 1)
        #expect(result.standardError.contains("line 2"))
        #expect(result.standardError.contains("UTF-8"))
        #expect(result.standardError.contains("line 3"))
        let objects = try jsonObjects(result.standardOutput)
        #expect(objects.count == 2)
        #expect(objects[0]["id"] as? String == "a1")
        #expect((objects[1]["id"] as? [String: Any])?["k"] as? [Int] == [1])
        #expect((objects[1]["token_type_ids"] as? [Int])?.last == 1)
    }

    @Test("a missing model folder is a clear error, not a crash")
    func missingModel() throws {
        let result = try Bertscope.run(["tokenize", "--model", "/nonexistent/model", "x"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("vocab.txt"))
    }

    @Test("a folder whose only model file is a .bin that is not E5S1 says so, not just that vocab.txt is missing")
    func binThatIsNotE5S1() throws {
        let folder = try makeTemporaryFolder("not-e5s1")
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("GGUF and more".utf8).write(to: folder.appendingPathComponent("model-q4.bin"))
        let result = try Bertscope.run(["tokenize", "--model", folder.path, "x"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("model-q4.bin is not an E5S1 file"))
        #expect(result.standardError.contains("vocab.txt"))
    }

    @Test("the table's span column widens for spans past character 999 instead of cutting them")
    func longSpans() throws {
        let result = try Bertscope.run(["tokenize", "--model", model, "--max-length", "0", String(repeating: "Hund ", count: 300)])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains(" 1495..<1499 "), "\(result.standardOutput.suffix(300))")
        #expect(!result.standardOutput.contains("…"))
    }

    @Test("the table shows pieces, ids and the source text of each span")
    func table() throws {
        let result = try Bertscope.run(["tokenize", "--model", model, "Weißbier"])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("##bier"))
        #expect(result.standardOutput.contains("66727"))
    }
}
