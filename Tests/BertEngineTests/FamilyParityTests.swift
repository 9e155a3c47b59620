import Foundation
import ModelLoader
import TestSupport
import Testing

@testable import BertEngine

func familyCases(_ family: String) throws -> [FixtureCase] {
    try JSONDecoder().decode([FixtureCase].self, from: Data(contentsOf: engineFixtures.appendingPathComponent("\(family).cases.json")))
}

/// Tiny XLM-R, RoBERTa and DistilBERT models with every parameter random, written by
/// `make_engine_fixtures.py families` with transformers' outputs (fp32, eager attention).
@Suite("Parity with transformers for XLM-R, RoBERTa and DistilBERT")
struct FamilyParityTests {
    @Test("every hidden state, attention and the pooler within 1e-5",
          arguments: [("tiny-xlmr-mlm", "xlmr"), ("tiny-xlmr-sharded", "xlmr"), ("tiny-roberta", "roberta"),
                      ("tiny-distilbert-mlm", "distilbert"), ("tiny-distilbert", "distilbert")])
    func hiddenStates(folder: String, family: String) throws {
        let model = try ModelFolder.model(in: engineFixtures.appendingPathComponent(folder))
        let expected = try ExpectedOutputs(engineFixtures.appendingPathComponent("\(family).expected.safetensors"))
        try checkParity(model: model, cases: try familyCases(family), expected: expected, tolerance: 1e-5)
    }

    @Test("each family is decoded from its own config keys, with its position rule, token types and parts",
          arguments: [("tiny-xlmr-mlm", "roberta", PositionRule.afterPadding(paddingId: 1), 1, false, true),
                      ("tiny-xlmr-sharded", "roberta", .afterPadding(paddingId: 1), 1, false, false),
                      ("tiny-roberta", "roberta", .afterPadding(paddingId: 0), 1, true, false),
                      ("tiny-distilbert-mlm", "distilbert", .index, 0, false, true),
                      ("tiny-distilbert", "distilbert", .index, 0, false, false)])
    func description(folder: String, family: String, positions: PositionRule, types: Int, pooler: Bool, maskedLM: Bool) throws {
        let model = try ModelFolder.model(in: engineFixtures.appendingPathComponent(folder))
        #expect(model.config.architecture.name == family)
        #expect(model.config.positions == positions)
        #expect(model.config.typeVocabSize == types)
        #expect(model.config.hiddenSize == 32 && model.config.layerCount == 2 && model.config.intermediateSize == 37)
        #expect(model.hasPooler == pooler)
        #expect(model.hasMaskedLMHead == maskedLM)
        // Every tensor found its internal name (tied decoders are absent, as in the Hub's files).
        #expect(model.checkpoint.unusedNames.isEmpty, "\(model.checkpoint.unusedNames)")
    }

    @Test("masked-LM top-5 ids identical and probabilities within 1e-4: XLM-R's lm_head, DistilBERT's vocab_* head",
          arguments: [("tiny-xlmr-mlm", "xlmr"), ("tiny-distilbert-mlm", "distilbert")])
    func maskedLM(folder: String, family: String) throws {
        let model = try ModelFolder.model(in: engineFixtures.appendingPathComponent(folder))
        var checked = 0
        for fixture in try familyCases(family) {
            guard let masks = fixture.mlm_top5 else { continue }
            let output = try model.forward(fixture.inputs)[0]
            let predictions = try model.maskedLMPredictions(lastHiddenState: output.lastHiddenState, positions: masks.map(\.position), topK: 5)
            for (mask, predicted) in zip(masks, predictions) {
                #expect(predicted.map(\.id) == mask.ids)
                #expect(maxAbsoluteDifference(predicted.map(\.probability), mask.probs) <= 1e-4)
                checked += 1
            }
        }
        #expect(checked == 2)
    }

    @Test("RoBERTa positions start after the padding id and skip padding tokens")
    func positionRule() {
        #expect(PositionRule.afterPadding(paddingId: 1).positions(of: [0, 5, 1, 1, 6, 2]) == [2, 3, 1, 1, 4, 5])
        #expect(PositionRule.index.positions(of: [0, 5, 1]) == [0, 1, 2])
        #expect(PositionRule.afterPadding(paddingId: 1).longestSequence(positions: 514) == 512)
    }

    @Test("XLM-R: a sequence longer than its positions after padding_idx + 1 is refused with the usable count")
    func roBERTaLength() throws {
        let model = try ModelFolder.model(in: engineFixtures.appendingPathComponent("tiny-xlmr-mlm"))
        _ = try model.forward([ModelInput(ids: [Int](repeating: 10, count: 40))])
        #expect(throws: EngineError.invalidInput("the sequence has 41 tokens; the model has 40 positions (truncate the text)")) {
            try model.forward([ModelInput(ids: [Int](repeating: 10, count: 41))])
        }
    }

    @Test("DistilBERT has no token types: type ids do not change its vectors")
    func distilBERTIgnoresTypes() throws {
        let model = try ModelFolder.model(in: engineFixtures.appendingPathComponent("tiny-distilbert"))
        let ids = [6, 57, 67, 7, 71, 89, 7]
        let plain = try model.forward([ModelInput(ids: ids)])[0]
        let typed = try model.forward([ModelInput(ids: ids, typeIds: [0, 0, 0, 0, 1, 1, 1])])[0]
        #expect(plain.lastHiddenState.values == typed.lastHiddenState.values)
    }
}

@Suite("Tensor names of every family map to the internal naming in one step")
struct TensorNamingTests {
    @Test("with and without task prefixes, Google's gamma/beta, the masked-LM heads",
          arguments: [
              (TensorNaming.bert, "bert.encoder.layer.3.attention.output.LayerNorm.gamma", "encoder.layer.3.attention.output.LayerNorm.weight"),
              (.bert, "encoder.layer.3.attention.self.query.weight", "encoder.layer.3.attention.self.query.weight"),
              (.bert, "cls.predictions.bias", "cls.predictions.bias"),
              (.roberta, "roberta.embeddings.word_embeddings.weight", "embeddings.word_embeddings.weight"),
              (.roberta, "pooler.dense.bias", "pooler.dense.bias"),
              (.roberta, "lm_head.layer_norm.weight", "cls.predictions.transform.LayerNorm.weight"),
              (.roberta, "lm_head.bias", "cls.predictions.bias"),
              (.roberta, "lm_head.decoder.weight", "cls.predictions.decoder.weight"),
              (.distilBERT, "distilbert.transformer.layer.1.attention.q_lin.weight", "encoder.layer.1.attention.self.query.weight"),
              (.distilBERT, "transformer.layer.0.sa_layer_norm.bias", "encoder.layer.0.attention.output.LayerNorm.bias"),
              (.distilBERT, "transformer.layer.0.ffn.lin2.weight", "encoder.layer.0.output.dense.weight"),
              (.distilBERT, "vocab_projector.bias", "cls.predictions.decoder.bias"),
              (.e5s1, "l11.oln.b", "encoder.layer.11.output.LayerNorm.bias"),
              (.e5s1, "emb.pos", "embeddings.position_embeddings.weight"),
          ])
    func mapped(naming: TensorNaming, name: String, expected: String) {
        #expect(naming.internalName(name) == expected)
    }

    @Test("names outside a scheme keep their own name (listed unused), or have none in E5S1's fixed directory")
    func unknown() {
        #expect(TensorNaming.distilBERT.internalName("transformer.layer.01.ffn.lin1.weight") == "transformer.layer.01.ffn.lin1.weight")
        #expect(TensorNaming.roberta.internalName("classifier.dense.weight") == "classifier.dense.weight")
        #expect(TensorNaming.e5s1.internalName("l1.q.x") == nil)
        #expect(TensorNaming.e5s1.internalName("emb.other") == nil)
    }
}

@Suite("Folders bertscope cannot run, or whose shards do not add up, are refused with the reason")
struct ArchitectureRefusalTests {
    static let sharded = engineFixtures.appendingPathComponent("tiny-xlmr-sharded")

    /// A copy of the sharded fixture, with `index` as its index when given.
    func shardedCopy(index: String? = nil) throws -> URL {
        let folder = try makeTemporaryFolder("sharded")
        let copy = folder.appendingPathComponent("model")
        try FileManager.default.copyItem(at: Self.sharded, to: copy)
        if let index { try Data(index.utf8).write(to: copy.appendingPathComponent("model.safetensors.index.json")) }
        return copy
    }

    @Test("a folder with only pytorch_model.bin is refused: a pickle can run code; convert to safetensors")
    func pickleOnly() throws {
        let folder = try makeTemporaryFolder("pickle")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: engineFixtures.appendingPathComponent("tiny-roberta/config.json"),
                                         to: folder.appendingPathComponent("config.json"))
        try Data("not read".utf8).write(to: folder.appendingPathComponent("pytorch_model.bin"))
        let message = errorDescription { _ = try ModelFolder.model(in: folder) }
        #expect(message.contains("pytorch_model.bin"), "\(message)")
        #expect(message.contains("can run any code"), "\(message)")
        #expect(message.contains("Convert them to safetensors"), "\(message)")
    }

    @Test("an index naming a shard outside its folder, a missing shard, or a tensor its shard lacks, is refused",
          arguments: [
              (#"{"weight_map": {"embeddings.word_embeddings.weight": "../model.safetensors"}}"#, "is not a file name beside the index"),
              (#"{"weight_map": {"embeddings.word_embeddings.weight": "model-00009-of-00009.safetensors"}}"#, "is missing"),
              (#"{"weight_map": {"embeddings.nothing.weight": "model-00001-of-00002.safetensors"}}"#, "which does not hold it"),
              (#"{"weight_map": []}"#, "no weight_map"),
              ("{", "cannot read it as JSON"),
          ])
    func badIndex(index: String, reason: String) throws {
        let folder = try shardedCopy(index: index)
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let message = errorDescription { _ = try ModelFolder.model(in: folder) }
        #expect(message.contains(reason), "\(message)")
    }

    @Test("an index that puts a tensor in a shard that does not hold it is refused")
    func indexMustAgree() throws {
        let index = try String(contentsOf: Self.sharded.appendingPathComponent("model.safetensors.index.json"), encoding: .utf8)
        let wrong = index.replacingOccurrences(
            of: #""embeddings.word_embeddings.weight": "model-00001-of-00002.safetensors""#,
            with: #""embeddings.word_embeddings.weight": "model-00002-of-00002.safetensors""#)
        #expect(wrong != index)
        let folder = try shardedCopy(index: wrong)
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let message = errorDescription { _ = try ModelFolder.model(in: folder) }
        #expect(message.contains("puts embeddings.word_embeddings.weight in model-00002-of-00002.safetensors"), "\(message)")
    }
}
