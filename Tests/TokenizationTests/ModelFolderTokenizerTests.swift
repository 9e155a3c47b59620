import Foundation
import ModelLoader
import TestSupport
import Testing

@testable import Tokenization

@Suite("ModelFolder: which tokenizer a folder's files make")
struct ModelFolderTokenizerTests {
    /// A temporary folder holding links to `files` (name → file).
    static func folder(_ files: [String: URL]) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tokfolder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, target) in files {
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(name), withDestinationURL: target)
        }
        return folder
    }

    static var realE5JSON: URL { get throws { try TestPaths.require(TestPaths.e5TokenizerJSON, madeBy: "scripts/fetch_test_assets.sh") } }

    @Test("a folder with tokenizer.json and no vocab.txt (the Hugging Face cache's XLM-R layout) opens with it")
    func tokenizerJSONOnly() throws {
        let folder = try Self.folder(["tokenizer.json": try Self.realE5JSON])
        #expect(ModelFolder.tokenizerFamily(of: folder) == .unigram)
        let tokenizer = try ModelFolder.tokenizer(in: folder)
        #expect(tokenizer.family == .unigram && tokenizer.pieceCount == 250_002)
        #expect(throws: TokenizerError.self) { try ModelFolder.tokenizer(in: folder, dialect: .google) }
    }

    @Test("beside an E5S1 file, the real tokenizer.json is the tokenizer (multi-code-point rules applied)")
    func tokenizerJSONBesideE5S1() throws {
        let model = try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh")
        let folder = try Self.folder(["e5-small-q4.bin": model, "tokenizer.json": try Self.realE5JSON])
        let tokens = try ModelFolder.tokenizer(in: folder).encode("nai\u{308}ve").tokens
        #expect(tokens.contains { $0.contains("ï") }, "\(tokens)")
        // Alone, the E5S1 file keeps its own tokenizer.
        let alone = try Self.folder(["e5-small-q4.bin": model])
        #expect(!(try ModelFolder.tokenizer(in: alone).encode("nai\u{308}ve").tokens.contains { $0.contains("ï") }))
    }

    @Test("a tokenizer.json of another vocabulary beside an E5S1 file is refused, saying both sizes")
    func mismatchedTokenizerJSON() throws {
        let model = try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh")
        let folder = try Self.folder([
            "e5-small-q4.bin": model, "tokenizer.json": TestPaths.multilingualCased.appendingPathComponent("tokenizer.json"),
        ])
        #expect {
            try ModelFolder.tokenizer(in: folder)
        } throws: { "\($0)".contains("119547") && "\($0)".contains("250002") }
    }

    @Test("with both vocab.txt and tokenizer.json, the folder's tokenizer is tokenizer.json's and equals the vocab.txt one")
    func bothFiles() throws {
        let fromFolder = try #require(try ModelFolder.tokenizer(in: TestPaths.multilingualCased) as? BertTokenizer)
        let fromText = try BertTokenizer(modelFolder: TestPaths.multilingualCased)
        for text in ["Hund und dog", "naïve café [MASK] 東京", ""] {
            #expect(fromFolder.encode(text) == fromText.encode(text))
        }
    }
}
