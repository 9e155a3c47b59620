import BertEngine
import Embeddings
import Foundation
import ModelLoader
import TestSupport
import Testing
import Tokenization

/// The model's own sentence vector (sentence-transformers' modules.json: Pooling, Dense, Normalize, prompts)
/// against sentence-transformers' `encode`, on the fixtures scripts/fixtures/make_sentence_fixtures.py writes:
/// two tiny random models covering every pooling mode, prompt exclusion, Dense with tanh, identity and a
/// residual, and the real all-MiniLM-L6-v2 (mean, then Normalize).
@Suite("sentence-transformers modules")
struct SentenceModulesTests {
    struct Case: Decodable {
        var model: String
        var prompt: String?
        var text: String
        var sentence_embedding: [Float]
    }

    struct Expected: Decodable { var cases: [Case] }

    static let fixtures = TestPaths.fixtures.appendingPathComponent("sentence")

    func folder(_ name: String) throws -> URL {
        name == "all-minilm-l6-v2" ? try TestPaths.require(TestPaths.miniLM, madeBy: "scripts/fetch_test_assets.sh")
                                   : Self.fixtures.appendingPathComponent(name)
    }

    @Test("every case gives sentence-transformers' vector within 1e-5", arguments: ["tiny-st-cls-dense", "tiny-st-max-residual", "all-minilm-l6-v2"])
    func matchesSentenceTransformers(_ name: String) throws {
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("expected.json")))
        let cases = expected.cases.filter { $0.model == name }
        #expect(!cases.isEmpty)
        let (tokenizer, model) = try ModelFolder.open(try folder(name))
        let modules = try #require(try ModelFolder.sentenceModules(in: try folder(name)))
        for item in cases {
            let prompt = try item.prompt.map { try #require(modules.prompts[$0], "prompt \($0)") }
            let encoding = tokenizer.encode((prompt ?? "") + item.text, pair: nil, maxLength: 512)
            let output = try model.forward([ModelInput(ids: encoding.ids, typeIds: encoding.typeIds)])[0]
            let vector = modules.sentenceVector(output.lastHiddenState, promptLength: SentenceModules.promptLength(of: prompt, tokenizer: tokenizer))
            #expect(vector.count == item.sentence_embedding.count)
            let difference = zip(vector, item.sentence_embedding).map { abs($0 - $1) }.max() ?? .infinity
            #expect(difference < 1e-5, "\(name) \(item.prompt ?? "-") \(item.text): max difference \(difference)")
        }
    }

    @Test("a prompt left out of the pooling changes the vector; one kept in (or none) does not need a length")
    func promptExclusion() throws {
        let name = "tiny-st-cls-dense"
        let (tokenizer, _) = try ModelFolder.open(try folder(name))
        let modules = try #require(try ModelFolder.sentenceModules(in: try folder(name)))
        #expect(modules.steps.contains(.pooling([.cls, .meanSqrtLength, .lastToken], includePrompt: false)))
        // [CLS] and the prompt's pieces, without the [SEP] that closes the prompt alone.
        let alone = tokenizer.encode("query: ", pair: nil, maxLength: nil)
        #expect(SentenceModules.promptLength(of: "query: ", tokenizer: tokenizer) == alone.count - 1)
        #expect(SentenceModules.promptLength(of: "", tokenizer: tokenizer) == 0)
        #expect(SentenceModules.promptLength(of: nil, tokenizer: tokenizer) == 0)
    }

    @Test("modules bertscope does not compute are refused by name, not approximated")
    func refusals() throws {
        let source = Self.fixtures.appendingPathComponent("tiny-st-max-residual")
        for (file, edit, expected) in [
            ("modules.json", { (text: String) in text.replacingOccurrences(of: "base.modules.dense.Dense", with: "models.LayerNorm") }, "which bertscope does not compute"),
            ("2_Dense/config.json", { (text: String) in text.replacingOccurrences(of: "torch.nn.modules.linear.Identity", with: "torch.nn.modules.activation.GELU") }, "is not one bertscope computes"),
            ("1_Pooling/config.json", { (text: String) in text.replacingOccurrences(of: "\"max\"", with: "\"median\"") }, "is not one sentence-transformers defines"),
        ] {
            let copy = try makeTemporaryFolder("sentence-modules")
            defer { try? FileManager.default.removeItem(at: copy) }
            let folder = copy.appendingPathComponent("model")
            try FileManager.default.copyItem(at: source, to: folder)
            let url = folder.appendingPathComponent(file)
            try edit(try String(contentsOf: url, encoding: .utf8)).write(to: url, atomically: true, encoding: .utf8)
            let message = errorDescription { _ = try ModelFolder.sentenceModules(in: folder) }
            #expect(message.contains(expected), "\(file): \(message)")
            #expect(message.contains(url.lastPathComponent), "the message names the file")
        }
        let plain = TestPaths.fixtures.appendingPathComponent("engine/tiny-modern")
        #expect(try ModelFolder.sentenceModules(in: plain) == nil, "a folder without modules.json declares nothing")
    }
}
