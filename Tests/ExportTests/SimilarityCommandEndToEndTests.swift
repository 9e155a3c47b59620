import Embeddings
import Foundation
import TerminalUI
import TestSupport
import Testing

private let model = TinyModel.folder.path

@Suite("bertscope similarity, end to end")
struct SimilarityCommandEndToEndTests {
    private func object(_ result: CommandResult) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any] ?? [:]
    }

    @Test("--json: sentence cosine, word matrix and best matches as computed directly")
    func json() throws {
        let result = try Bertscope.run(["similarity", "--model", model, "--threads", "1", "--json", "the dogs bark", "a dog barks at 犬"])
        #expect(result.status == 0, "\(result.standardError)")
        let json = try object(result)
        let a = try TinyModel.embed("the dogs bark"), b = try TinyModel.embed("a dog barks at 犬")
        let expected = try CrossSimilarity(a, b, words: .linguistic, layer: .layer(2), pooling: .mean)
        #expect(json["words_a"] as? [String] == ["the", "dogs", "bark"])
        #expect(json["words_b"] as? [String] == ["a", "dog", "barks", "at", "犬"])
        #expect(json["word_spans_a"] as? [[Int]] == [[0, 3], [4, 8], [9, 13]])
        #expect(abs((json["sentence_cosine"] as? Double ?? 9) - expected.sentenceCosine) < 1e-9)
        #expect(abs((json["pooler_cosine"] as? Double ?? 9) - (expected.poolerCosine ?? 0)) < 1e-9)
        let matrix = json["matrix"] as? [[Double]] ?? []
        #expect(matrix.count == 3 && matrix.allSatisfy { $0.count == 5 })
        for (row, expectedRow) in zip(matrix, expected.matrix) {
            for (value, wanted) in zip(row, expectedRow) { #expect(abs(value - wanted) < 1e-9) }
        }
        #expect(json["best_match_a"] as? [Int] == expected.bestMatchesA)
        #expect(json["best_match_b"] as? [Int] == expected.bestMatchesB)
        #expect(json["layer"] as? Int == 2)
        #expect(json["pooling"] as? String == "mean")
        #expect(json["centred"] as? Bool == false)
    }

    @Test("--json: words are ICU's linguistic words with their spans, not the tokenizer's (犬が吠える。 is three words)")
    func linguisticWords() throws {
        let result = try Bertscope.run(["similarity", "--model", model, "--threads", "1", "--json", "犬が吠える。", "dog, barks!"])
        #expect(result.status == 0, "\(result.standardError)")
        let json = try object(result)
        #expect(json["words_a"] as? [String] == ["犬", "が", "吠える"])
        #expect(json["word_spans_a"] as? [[Int]] == [[0, 1], [1, 2], [2, 5]])
        #expect(json["words_b"] as? [String] == ["dog", "barks"])
        #expect(json["word_spans_b"] as? [[Int]] == [[0, 3], [5, 10]])
        #expect((json["matrix"] as? [[Double]])?.map(\.count) == [2, 2, 2])
    }

    @Test("--centre subtracts the reference centroid and reports the baseline; --layer and --pooling are honoured")
    func centred() throws {
        let result = try Bertscope.run(["similarity", "--model", model, "--threads", "1", "--json", "--centre", "--layer", "1",
                                        "--pooling", "max", "the dogs bark", "a dog barks"])
        #expect(result.status == 0, "\(result.standardError)")
        let json = try object(result)
        let (tokenizer, engine) = try TinyModel.loaded.get()
        let baseline = try Baseline(sentences: TestPaths.baselineSentences, tokenizer: tokenizer, model: engine, layer: .layer(1), pooling: .max)
        let expected = try CrossSimilarity(try TinyModel.embed("the dogs bark"), try TinyModel.embed("a dog barks"), words: .linguistic,
                                           layer: .layer(1), pooling: .max, centroid: baseline.centroid)
        #expect(abs((json["sentence_cosine"] as? Double ?? 9) - expected.sentenceCosine) < 1e-9)
        #expect(abs(((json["matrix"] as? [[Double]])?.first?.first ?? 9) - expected.matrix[0][0]) < 1e-9)
        #expect(json["layer"] as? Int == 1)
        #expect(json["pooling"] as? String == "max")
        #expect(json["centred"] as? Bool == true)
        let reported = json["baseline"] as? [String: Double]
        #expect(abs((reported?["mean_cosine"] ?? 9) - baseline.meanCosine) < 1e-9)
    }

    @Test("the table lines up CJK words by display width and marks each row's best match")
    func table() throws {
        let result = try Bertscope.run(["similarity", "--model", model, "--layer", "last4", "犬 the dogs", "der hund 猫 bark"])
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first?.hasPrefix("sentence cosine (mean of the pieces, sum of last 4): ") == true)
        guard let header = lines.firstIndex(where: { $0.hasPrefix("word cosines") }) else {
            Issue.record("no matrix in \(result.standardOutput)")
            return
        }
        let table = Array(lines[(header + 1)...(header + 4)])
        #expect(table[0].contains("猫") && table[1].hasPrefix("犬"))
        #expect(Set(table.map { DisplayWidth.of($0) }).count == 1, "rows of equal display width: \(table)")
        #expect(table.dropFirst().allSatisfy { $0.filter { $0 == "*" }.count == 1 })
        #expect(result.standardOutput.contains("best matches:"))
    }

    @Test("every cosine in the table is printed whole, negative ones with their three decimals too")
    func tableNumbersWhole() throws {
        let result = try Bertscope.run(["similarity", "--model", model, "--centre", "--json", "a b c d e f", "x y z w v u"])
        let object = try #require(JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
        let values = (object["matrix"] as? [[Double]] ?? []).flatMap { $0 }
        #expect(values.contains { $0 < 0 }, "centred cosines of unrelated words include negative ones: the check needs them")
        let table = try Bertscope.run(["similarity", "--model", model, "--centre", "a b c d e f", "x y z w v u"])
        #expect(table.status == 0, "\(table.standardError)")
        #expect(!table.standardOutput.contains("…"), "\(table.standardOutput)")
        for value in values { #expect(table.standardOutput.contains(String(format: "%.3f", value))) }
    }

    @Test("an unknown layer is a clear error")
    func badLayer() throws {
        let result = try Bertscope.run(["similarity", "--model", model, "--layer", "9", "a", "b"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("--layer"))
    }
}
