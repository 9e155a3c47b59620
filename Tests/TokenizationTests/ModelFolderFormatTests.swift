import Foundation
import ModelLoader
import TestSupport
import Testing

/// The one place that decides what a model folder holds (issue #12: detect a folder's format once).
@Suite("ModelFolderFormat: a folder's weights and tokenizer, decided once")
struct ModelFolderFormatTests {
    static let tiny = TestPaths.fixtures.appendingPathComponent("engine/tiny-modern")

    static func folder(_ files: [String: URL], empty: [String] = []) throws -> URL {
        let folder = try ModelFolderTokenizerTests.folder(files)
        for name in empty { try Data("{}".utf8).write(to: folder.appendingPathComponent(name)) }
        return folder
    }

    @Test("a BERT folder: config.json with model.safetensors, and vocab.txt")
    func bertFolder() throws {
        let format = ModelFolderFormat(of: Self.tiny)
        #expect(format.weights == .safetensors(sharded: false))
        #expect(format.tokenizer == .vocabulary(Self.tiny.appendingPathComponent("vocab.txt")))
        #expect(format.name == "safetensors" && format.e5s1 == nil)
    }

    @Test("an E5S1 file alone holds both; with tokenizer.json beside it, that file is the tokenizer")
    func e5s1() throws {
        let model = try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh")
        let alone = try Self.folder(["e5-small-q4.bin": model])
        defer { try? FileManager.default.removeItem(at: alone) }
        let file = alone.appendingPathComponent("e5-small-q4.bin")
        #expect(ModelFolderFormat(of: alone).weights == .e5s1(file))
        #expect(ModelFolderFormat(of: alone).tokenizer == .e5s1(file))
        #expect(ModelFolderFormat(of: alone).name == "e5s1")
        let beside = try Self.folder(["e5-small-q4.bin": model, "tokenizer.json": try ModelFolderTokenizerTests.realE5JSON])
        defer { try? FileManager.default.removeItem(at: beside) }
        #expect(ModelFolderFormat(of: beside).tokenizer == .tokenizerJSON(beside.appendingPathComponent("tokenizer.json")))
        #expect(ModelFolderFormat(of: beside).e5s1 == beside.appendingPathComponent("e5-small-q4.bin"))
    }

    @Test("sharded weights, a tokenizer-only folder, config.json without weights, an empty folder")
    func partialFolders() throws {
        let sharded = try Self.folder(["tokenizer.json": try ModelFolderTokenizerTests.realE5JSON],
                                      empty: ["config.json", "model.safetensors.index.json"])
        defer { try? FileManager.default.removeItem(at: sharded) }
        #expect(ModelFolderFormat(of: sharded).weights == .safetensors(sharded: true))
        let mbert = ModelFolderFormat(of: TestPaths.multilingualCased)
        #expect(mbert.weights == .none && !mbert.hasWeights, "the shared mBERT folder has no checkpoint")
        #expect(mbert.tokenizer == .tokenizerJSON(TestPaths.multilingualCased.appendingPathComponent("tokenizer.json")))
        let configOnly = try Self.folder([:], empty: ["config.json"])
        defer { try? FileManager.default.removeItem(at: configOnly) }
        #expect(ModelFolderFormat(of: configOnly).weights == .none && !ModelFolderFormat(of: configOnly).hasTokenizer)
        let empty = try Self.folder([:])
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(ModelFolderFormat(of: empty).weights == .none && ModelFolderFormat(of: empty).tokenizer == .none)
    }

    @Test("ModelFolder.model opens what the format says: the same model as the one the explorer and every command open")
    func modelFromFormat() throws {
        let model = try ModelFolder.model(in: Self.tiny)
        let (_, opened) = try ModelFolder.open(Self.tiny)
        #expect(model.config.hiddenSize == opened.config.hiddenSize && model.checkpoint.origin == opened.checkpoint.origin)
        let empty = try Self.folder([:])
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(throws: (any Error).self) { try ModelFolder.model(in: empty) }
    }
}
