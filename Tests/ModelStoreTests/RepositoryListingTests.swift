import Foundation
@testable import ModelStore
import TestSupport
import Testing

/// `pull` asks the Hub what a repository has (`/api/models/{repo}/revision/{revision}`) and takes what bertscope
/// reads of it: repositories in the XLM-R layout (tokenizer.json, no vocab.txt), sharded weights, and the
/// refusals for what bertscope cannot read.
@Suite("pull from the repository's file listing")
struct RepositoryListingTests {
    static let repo = "FacebookAI/tiny-xlmr-style"
    static let sharded = TestPaths.fixtures.appendingPathComponent("engine/tiny-xlmr-sharded")

    /// A small SentencePiece-style Unigram tokenizer.json with XLM-R's special tokens and template, within the
    /// tiny model's 120 ids.
    static let unigramTokenizer = #"""
    {"version": "1.0", "truncation": null, "padding": null,
     "added_tokens": [
      {"id": 0, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
      {"id": 1, "content": "<pad>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
      {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
      {"id": 3, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
     "normalizer": null,
     "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
     "post_processor": {"type": "TemplateProcessing",
      "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
      "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
               {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
      "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]}, "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}},
     "decoder": null,
     "model": {"type": "Unigram", "unk_id": 3, "byte_fallback": false, "vocab": [
      ["<s>", 0.0], ["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0], ["▁", -2.0], ["▁hello", -3.0], ["▁world", -3.5],
      ["▁Hund", -4.0], ["h", -5.0], ["e", -5.0], ["l", -5.0], ["o", -5.0], ["w", -5.0], ["r", -5.0], ["d", -5.0]]}}
    """#

    /// A repository folder: `files` copied from `from` (all of it when nil) plus `extra` files by content.
    func repository(_ sandbox: Sandbox, from source: URL? = sharded, files: [String]? = nil, extra: [String: String] = [:]) throws -> URL {
        let folder = sandbox.root.appendingPathComponent("repo-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if let source {
            for name in try files ?? FileManager.default.contentsOfDirectory(atPath: source.path) {
                try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
            }
        }
        for (name, text) in extra {
            let url = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        return folder
    }

    func requestedPaths(_ hub: FakeHub) -> [String] { hub.requests().compactMap { $0["path"] as? String } }

    @Test("an XLM-R-style repository (tokenizer.json, no vocab.txt, sharded weights) is pulled from its listing, then opens offline by name")
    func xlmrStyle() throws {
        let sandbox = try Sandbox()
        let folder = try repository(sandbox, extra: [
            "tokenizer.json": Self.unigramTokenizer,
            "README.md": "# not read\n",
            "pytorch_model.bin": "a pickle bertscope never asks for",
            "onnx/model.onnx": "an export bertscope never asks for",
            "1_Pooling/config.json": #"{"pooling_mode_mean_tokens": true}"#,
        ])
        let hub = try FakeHub(["--repo", "\(Self.repo)=\(folder.path)"], in: sandbox)
        let pull = try Bertscope.run(["pull", Self.repo], environment: sandbox.environment(hub))
        #expect(pull.status == 0, "\(pull.standardError)")
        let snapshot = URL(fileURLWithPath: pull.standardOutput.trimmingCharacters(in: .newlines))
        let index = try jsonObject(String(decoding: try Data(contentsOf: Self.sharded.appendingPathComponent("model.safetensors.index.json")), as: UTF8.self))
        let shards = Set(((index["weight_map"] as? [String: String]) ?? [:]).values)
        #expect(shards.count == 2)
        for name in ["config.json", "tokenizer.json", "model.safetensors.index.json", "1_Pooling/config.json"] + shards.sorted() {
            #expect(try Data(contentsOf: snapshot.appendingPathComponent(name)) == Data(contentsOf: folder.appendingPathComponent(name)), "\(name)")
        }
        let paths = requestedPaths(hub)
        for unread in ["README.md", "pytorch_model.bin", "onnx/model.onnx", "vocab.txt"] {
            #expect(!paths.contains { $0.hasSuffix("/" + unread) }, "\(unread) is not asked for")
        }

        // Offline, by name, as a user would next.
        let offline = sandbox.environment(hub, ["HF_HUB_OFFLINE": "1"])
        let again = try Bertscope.run(["pull", Self.repo], environment: offline)
        #expect(again.status == 0, "\(again.standardError)")
        #expect(again.standardError.contains("already in the cache"), "\(again.standardError)")
        let embed = try Bertscope.run(["embed", "--model", Self.repo, "--json", "hello world"], environment: offline)
        #expect(embed.status == 0, "\(embed.standardError)")
        let object = try jsonObject(embed.standardOutput)
        #expect(object["tokens"] as? [String] == ["<s>", "▁hello", "▁world", "</s>"], "\(embed.standardOutput.prefix(300))")
    }

    @Test("a repository with PyTorch pickle weights only is refused, saying why and what to do, before anything is downloaded")
    func pickleOnly() throws {
        let sandbox = try Sandbox()
        let folder = try repository(sandbox, files: ["config.json"], extra: ["tokenizer.json": Self.unigramTokenizer, "pytorch_model.bin": "pickle"])
        let hub = try FakeHub(["--repo", "\(Self.repo)=\(folder.path)"], in: sandbox)
        let pull = try Bertscope.run(["pull", Self.repo], environment: sandbox.environment(hub))
        #expect(pull.status != 0)
        #expect(pull.standardError.contains("PyTorch pickle (pytorch_model.bin)"), "\(pull.standardError)")
        #expect(pull.standardError.contains("safetensors"))
        #expect(!requestedPaths(hub).contains { $0.contains("/resolve/") }, "no file is asked for")
    }

    @Test("a repository without tokenizer.json or vocab.txt is refused, naming the tokenizer files it has")
    func noReadableTokenizer() throws {
        let sandbox = try Sandbox()
        let folder = try repository(sandbox, files: ["config.json"], extra: [
            "sentencepiece.bpe.model": "spm", "model.safetensors": "weights", "tokenizer_config.json": "{}",
        ])
        let hub = try FakeHub(["--repo", "\(Self.repo)=\(folder.path)"], in: sandbox)
        let pull = try Bertscope.run(["pull", Self.repo], environment: sandbox.environment(hub))
        #expect(pull.status != 0)
        #expect(pull.standardError.contains("no tokenizer bertscope reads"), "\(pull.standardError)")
        #expect(pull.standardError.contains("sentencepiece.bpe.model"))
        #expect(!requestedPaths(hub).contains { $0.contains("/resolve/") })
    }

    @Test("a shard index naming a file the repository does not have, or a path out of the cache, is refused before any shard is asked for")
    func badShardIndex() throws {
        for (shard, expected) in [("model-00009-of-00009.safetensors", "not a safetensors file of the repository"),
                                  ("../../escape.safetensors", "is not a relative path that stays in the cache")] {
            let sandbox = try Sandbox()
            let index = #"{"metadata": {}, "weight_map": {"embeddings.word_embeddings.weight": "\#(shard)"}}"#
            let folder = try repository(sandbox, files: ["config.json"], extra: [
                "tokenizer.json": Self.unigramTokenizer, "model.safetensors.index.json": index,
            ])
            let hub = try FakeHub(["--repo", "\(Self.repo)=\(folder.path)"], in: sandbox)
            let pull = try Bertscope.run(["pull", Self.repo], environment: sandbox.environment(hub))
            #expect(pull.status != 0)
            #expect(pull.standardError.contains(expected), "\(pull.standardError)")
            #expect(!requestedPaths(hub).contains { $0.hasSuffix(".safetensors") && !$0.hasSuffix("index.json") })
        }
    }

    @Test("a server without the Hub's file listing gets an error that says so")
    func noListing() throws {
        let sandbox = try Sandbox()
        let folder = try repository(sandbox)
        let hub = try FakeHub(["--repo", "\(Self.repo)=\(folder.path)", "--no-api"], in: sandbox)
        let pull = try Bertscope.run(["pull", Self.repo], environment: sandbox.environment(hub))
        #expect(pull.status != 0)
        #expect(pull.standardError.contains("file listing"), "\(pull.standardError)")
    }

    @Test("the listing's JSON: the commit is checked like every server value that becomes a path")
    func listingJSON() throws {
        let good = try RepositoryListing(json: Data(#"{"sha": "0123456789abcdef0123456789abcdef01234567", "siblings": [{"rfilename": "config.json"}]}"#.utf8), source: "test")
        #expect(good.files == ["config.json"])
        #expect(throws: ModelStoreError.self) {
            try RepositoryListing(json: Data(#"{"sha": "../../x", "siblings": []}"#.utf8), source: "test")
        }
        #expect(throws: ModelStoreError.self) { try RepositoryListing(json: Data("[]".utf8), source: "test") }
    }
}
