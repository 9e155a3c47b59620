import Foundation
import ModelLoader
import TestSupport
import Testing

@testable import BertEngine

/// The inputs of a fixture's cases (FixtureCase), every sequence of every case.
private func fixtureInputs(_ name: String) throws -> [ModelInput] {
    struct Cases: Decodable { var cases: [FixtureCase] }
    return try JSONDecoder().decode(Cases.self, from: Data(contentsOf: engineFixtures.appendingPathComponent(name))).cases.flatMap(\.inputs)
}

/// bf16 and int8 against f32 on the same weights, at the thresholds of issue 16: bf16 every token of
/// every layer >= 0.999 and each layer's mean >= 0.9999; int8 every token of the last layer >= 0.99 and
/// its mean >= 0.995.
private func checkFidelity(_ model: (Precision) throws -> BertModel, inputs: [ModelInput], label: String) throws {
    let reference = try model(.f32).forward(inputs, threads: 2)
    let bf16 = PrecisionFidelity(reference: reference, compared: try model(.bf16).forward(inputs, threads: 2))
    for layer in bf16.layers {
        #expect(layer.minCosine >= 0.999, "\(label) bf16 layer \(layer.index): min cosine \(layer.minCosine)")
        #expect(layer.meanCosine >= 0.9999, "\(label) bf16 layer \(layer.index): mean cosine \(layer.meanCosine)")
    }
    let int8 = PrecisionFidelity(reference: reference, compared: try model(.int8).forward(inputs, threads: 2))
    let last = try #require(int8.layers.last)
    #expect(last.minCosine >= 0.99, "\(label) int8 last layer: min cosine \(last.minCosine)")
    #expect(last.meanCosine >= 0.995, "\(label) int8 last layer: mean cosine \(last.meanCosine)")
    // Each reduced precision changes the vectors: a storage that silently stayed f32 would pass the above.
    #expect(bf16.layers.last!.maxAbsDifference > 0 && last.maxAbsDifference > 0, "\(label): no difference from f32 at all")
    #expect(bf16.layers.last!.meanCosine > last.meanCosine, "\(label): bf16 (8 significant bits) is closer to f32 than int8")
}

@Suite("bf16 and int8 weights: how far their hidden states lie from f32")
struct PrecisionFidelityTests {
    @Test("the fidelity measure: cosines per token and the largest difference, per layer")
    func measure() {
        func output(_ layers: [[Float]]) -> ModelOutput {
            ModelOutput(hiddenStates: layers.map { Matrix(rows: 2, columns: 2, values: $0) }, poolerOutput: nil, attentions: [:])
        }
        let reference = output([[1, 0, 0, 2], [3, 4, 0, 0]])
        let compared = output([[1, 1, 0, -2], [3, 4, 0, 0]])
        let fidelity = PrecisionFidelity(reference: [reference], compared: [compared])
        #expect(fidelity.layers.map(\.index) == [0, 1])
        #expect(abs(fidelity.layers[0].cosines[0] - 1 / 2.0.squareRoot()) < 1e-15)
        #expect(fidelity.layers[0].cosines[1] == -1)
        #expect(fidelity.layers[0].maxAbsDifference == 4)
        #expect(fidelity.layers[0].minCosine == -1)
        #expect(fidelity.layers[1].cosines == [1, 1], "zero vectors agree with each other")
        #expect(fidelity.layers[1].maxAbsDifference == 0)
        #expect(PrecisionFidelity.cosine([0, 0], [1, 0]) == 0)
        var joined = PrecisionFidelity()
        joined.append(fidelity)
        joined.append(PrecisionFidelity(reference: [reference], compared: [reference]))
        #expect(joined.layers[0].cosines.count == 4 && joined.layers[0].maxAbsDifference == 4, "appending keeps every token, the largest difference")
        #expect(joined.layers[0].meanCosine == (fidelity.layers[0].cosines.reduce(0, +) + 2) / 4)
    }

    @Test("bf16 packs the linear weights in half the bytes of f32, int8 in less; f32 keeps a 4-bit checkpoint 4-bit")
    func storages() throws {
        let folder = engineFixtures.appendingPathComponent("tiny-google")
        let bytes = try Precision.allCases.map { try ModelFolder.model(in: folder, precision: $0).linearWeightBytes }
        // Half but for the depth bf16 pairs add to an odd input width: the FFN output's 37 inputs, padded to
        // 38, one more depth of its 2 panels × 16 values × 2 bytes in each of the 2 layers.
        #expect(bytes[1] == bytes[0] / 2 + 2 * (2 * 16 * 2) && bytes[2] < bytes[1], "\(bytes)")
        let e5 = try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh").deletingLastPathComponent()
        let e5Bytes = try Precision.allCases.map { try ModelFolder.model(in: e5, precision: $0).linearWeightBytes }
        #expect(e5Bytes[0] < e5Bytes[2] && e5Bytes[2] < e5Bytes[1], "Q4_0 (4.5 bits) < int8 < bf16: \(e5Bytes)")
    }

    @Test("random weights of the full mBERT encoder shape (12 × 768, 3072 inner; a small vocabulary)")
    func randomFullShape() throws {
        let config = BertConfig(vocabSize: 2000, hiddenSize: 768, layerCount: 12, headCount: 12, intermediateSize: 3072,
                                maxPositions: 512, typeVocabSize: 2, layerNormEpsilon: 1e-12, padTokenId: 0)
        let checkpoint = Checkpoint.random(config: config, seed: 16)
        var generator = SeededGenerator(seed: 61)
        let inputs = [7, 33, 128].map { length in ModelInput(ids: (0..<length).map { _ in Int(generator.next() % 2000) }) }
        try checkFidelity({ try BertModel(config: config, checkpoint: checkpoint, precision: $0) }, inputs: inputs, label: "random")
    }

    @Test("real weights: all-MiniLM-L6-v2")
    func miniLM() throws {
        let folder = try TestPaths.require(TestPaths.miniLM, madeBy: "scripts/fetch_test_assets.sh")
        try checkFidelity({ try ModelFolder.model(in: folder, precision: $0) }, inputs: try fixtureInputs("minilm.cases.json"), label: "MiniLM")
    }

    @Test("real weights: multilingual-e5-small, its 4-bit weights dequantized (f32 is them exactly)")
    func e5() throws {
        let folder = try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh").deletingLastPathComponent()
        try checkFidelity({ try ModelFolder.model(in: folder, precision: $0) }, inputs: try fixtureInputs("e5.cases.json"), label: "e5")
    }
}
