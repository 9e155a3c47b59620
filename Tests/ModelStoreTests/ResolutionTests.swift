import Foundation
@testable import ModelStore
import TestSupport
import Testing

/// Which folder `--model` means, with a hand-made Hugging Face cache in a temporary folder.
@Suite("model resolution")
struct ResolutionTests {
    let tinyModern = TestPaths.fixtures.appendingPathComponent("engine/tiny-modern")
    let tinyGoogle = TestPaths.fixtures.appendingPathComponent("engine/tiny-google")

    @Test("the hub cache is $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub")
    func hubCacheLocation() {
        #expect(StoreEnvironment(["HOME": "/home/u"]).hubCache.path == "/home/u/.cache/huggingface/hub")
        #expect(StoreEnvironment(["HOME": "/home/u", "HF_HOME": "/data/hf"]).hubCache.path == "/data/hf/hub")
        #expect(StoreEnvironment(["HOME": "/home/u", "HF_HOME": "/data/hf", "HF_HUB_CACHE": "/fast/hub"]).hubCache.path == "/fast/hub")
        #expect(StoreEnvironment(["HOME": "/home/u", "HF_HUB_CACHE": ""]).hubCache.path == "/home/u/.cache/huggingface/hub", "empty is unset")
        #expect(StoreEnvironment(["HOME": "/home/u"]).bertscopeCache.path == "/home/u/.cache/bertscope")
        #expect(StoreEnvironment(["HOME": "/home/u", "BERTSCOPE_CACHE": "/c"]).bertscopeModels.path == "/c/models")
    }

    @Test("the other Hub variables: endpoint, token, offline")
    func hubVariables() {
        let plain = StoreEnvironment(["HOME": "/nonexistent"])
        #expect(plain.endpoint.absoluteString == "https://huggingface.co")
        #expect(plain.token == nil && !plain.offline)
        let set = StoreEnvironment(["HOME": "/nonexistent", "HF_ENDPOINT": "http://mirror:8080/", "HF_TOKEN": "t", "HF_HUB_OFFLINE": "TRUE"])
        #expect(set.endpoint.absoluteString == "http://mirror:8080")
        #expect(set.token == "t" && set.offline)
        #expect(!StoreEnvironment(["HOME": "/nonexistent", "HF_HUB_OFFLINE": "0"]).offline)
    }

    @Test("repository ids: ORG/NAME[@REVISION], as the Hub allows them")
    func references() {
        #expect(RepoReference(parsing: "google-bert/bert-base-multilingual-cased") == RepoReference(repo: "google-bert/bert-base-multilingual-cased"))
        #expect(RepoReference(parsing: "org/name@v1.0")?.revision == "v1.0")
        #expect(RepoReference(parsing: "bert-base-multilingual-cased")?.repo == "bert-base-multilingual-cased")
        for bad in ["a/b/c", "org/na--me", "-org/x", "org/x@", "", "org name/x", "../x"] {
            #expect(RepoReference(parsing: bad) == nil, "\(bad)")
        }
        #expect(RepoReference(parsing: "org/x@refs/pr/1")!.resolveURL(endpoint: URL(string: "https://h")!, file: "config.json").absoluteString
                == "https://h/org/x/resolve/refs%2Fpr%2F1/config.json")
    }

    @Test("an existing folder wins over a cached repository of the same name")
    func folderFirst() throws {
        let sandbox = try Sandbox()
        try sandbox.cacheSnapshot(repo: "org/tiny", commit: .commit("a"), from: tinyModern)
        let resolver = ModelResolver(environment: sandbox.storeEnvironment())
        let resolved = try resolver.resolve(tinyGoogle.path)
        #expect(resolved.folder.path == tinyGoogle.path)
        #expect(resolved.reason == .path)
    }

    @Test("a repository id is found in the Hugging Face cache through refs/REVISION, or by commit")
    func hubCacheByRevision() throws {
        let sandbox = try Sandbox()
        let main = try sandbox.cacheSnapshot(repo: "org/tiny", commit: .commit("main"), refs: ["main"], from: tinyModern)
        let v2 = try sandbox.cacheSnapshot(repo: "org/tiny", commit: .commit("v2"), refs: ["v2"], from: tinyGoogle)
        let resolver = ModelResolver(environment: sandbox.storeEnvironment())

        let resolved = try resolver.resolve("org/tiny")
        #expect(resolved.folder.path == main.path)
        #expect(resolved.name == "org/tiny")
        #expect(resolved.reason.code == "hf-cache")
        #expect(try resolver.resolve("org/tiny@v2").folder.path == v2.path)
        #expect(try resolver.resolve("org/tiny@\(String.commit("v2"))").folder.path == v2.path)
        #expect(try resolver.resolve("tiny").folder.path == main.path, "a bare name finds ORG/NAME")
        #expect(throws: ModelStoreError.self) { try resolver.resolve("org/tiny@v3") }
    }

    @Test("HF_HUB_CACHE points resolution at another cache")
    func hubCacheVariable() throws {
        let sandbox = try Sandbox()
        try sandbox.cacheSnapshot(repo: "org/tiny", commit: .commit("a"), from: tinyModern)
        let elsewhere = sandbox.root.appendingPathComponent("elsewhere")
        let resolver = ModelResolver(environment: sandbox.storeEnvironment(["HF_HUB_CACHE": elsewhere.path]))
        #expect(throws: ModelStoreError.self) { try resolver.resolve("org/tiny") }
        let direct = ModelResolver(environment: sandbox.storeEnvironment(["HF_HUB_CACHE": sandbox.hubCache.path, "HF_HOME": elsewhere.path]))
        #expect(try direct.resolve("org/tiny").reason.code == "hf-cache")
    }

    @Test("a name missing from the Hugging Face cache is looked up in bertscope's cache")
    func bertscopeCacheByName() throws {
        let sandbox = try Sandbox()
        let own = sandbox.bertscopeCache.appendingPathComponent("models/my-bert")
        try FileManager.default.createDirectory(at: own.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: tinyModern, to: own)
        let resolved = try ModelResolver(environment: sandbox.storeEnvironment()).resolve("my-bert")
        #expect(resolved.folder.path == own.path)
        #expect(resolved.reason == .bertscopeCache)
    }

    @Test("without --model: multilingual BERT from the Hugging Face cache (either name), else the offline default")
    func defaults() throws {
        let sandbox = try Sandbox()
        let resolver = ModelResolver(environment: sandbox.storeEnvironment())
        let offline = resolver.offlineDefaultFolder
        try FileManager.default.createDirectory(at: offline.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: tinyGoogle, to: offline)

        let fallback = try resolver.resolve(nil)
        #expect(fallback.folder.path == offline.path)
        #expect(fallback.name == DefaultModels.offline.name)
        #expect(fallback.reason.code == "default-offline")
        #expect(fallback.reason.description.contains("google-bert/bert-base-multilingual-cased is not in the Hugging Face cache"))

        let legacy = try sandbox.cacheSnapshot(repo: "bert-base-multilingual-cased", commit: .commit("old"), from: tinyModern)
        #expect(try resolver.resolve(nil).folder.path == legacy.path)
        let current = try sandbox.cacheSnapshot(repo: DefaultModels.hub.repo, commit: .commit("new"), from: tinyModern)
        let preferred = try resolver.resolve("")
        #expect(preferred.folder.path == current.path)
        #expect(preferred.reason.code == "default-hf-cache")
        #expect(preferred.reason.isDefault)
    }

    @Test("a tokenizer-only snapshot serves tokenization but not the encoder")
    func requirements() throws {
        let sandbox = try Sandbox()
        let vocabOnly = try sandbox.modelFolder("vocab-only", from: "tiny-modern", files: ["vocab.txt", "config.json"])
        let snapshot = try sandbox.cacheSnapshot(repo: DefaultModels.hub.repo, commit: .commit("tok"), from: vocabOnly)
        let resolver = ModelResolver(environment: sandbox.storeEnvironment())
        #expect(try resolver.resolve(nil, needs: .tokenizer).folder.path == snapshot.path)
        #expect(throws: ModelStoreError.self) { try resolver.resolve(nil, needs: .weights) }
        do {
            _ = try resolver.resolve(DefaultModels.hub.repo, needs: .weights)
            Issue.record("an incomplete snapshot must not resolve")
        } catch let error as ModelStoreError {
            #expect(error.description.contains("lacks model.safetensors"))
            #expect(error.description.contains("`bertscope pull google-bert/bert-base-multilingual-cased` completes it"))
        }
    }

    @Test("without --model every command gets the same model: a tokenizer-only Hub default does not win over the offline default")
    func sameDefaultForEveryCommand() throws {
        let sandbox = try Sandbox()
        let vocabOnly = try sandbox.modelFolder("vocab-only", from: "tiny-modern", files: ["vocab.txt", "config.json"])
        _ = try sandbox.cacheSnapshot(repo: DefaultModels.hub.repo, commit: .commit("tok"), from: vocabOnly)
        let resolver = ModelResolver(environment: sandbox.storeEnvironment())
        let offline = resolver.offlineDefaultFolder
        try FileManager.default.createDirectory(at: offline.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: tinyGoogle, to: offline)
        let forTokens = try resolver.resolve(nil, needs: .tokenizer)
        let forVectors = try resolver.resolve(nil, needs: .weights)
        #expect(forTokens == forVectors)
        #expect(forVectors.folder.path == offline.path)
        #expect(forVectors.reason.description.contains("the Hugging Face cache has \(DefaultModels.hub.repo) without model.safetensors"))
    }

    @Test("nothing found: the error says how to get a model")
    func notFound() throws {
        let sandbox = try Sandbox()
        let resolver = ModelResolver(environment: sandbox.storeEnvironment())
        let messages = ["./no/such/folder", "org/missing", nil].map { spec -> String in
            do {
                _ = try resolver.resolve(spec)
                return ""
            } catch {
                return "\(error)"
            }
        }
        #expect(messages[0].contains("no such folder") && messages[0].contains("vocab.txt"))
        #expect(messages[1].contains("`bertscope pull org/missing`"))
        #expect(messages[2].contains("`bertscope pull`") && messages[2].contains("`bertscope pull --default-offline`"))
    }
}

/// The same rules as seen from the command line.
@Suite("model resolution, end to end")
struct ResolutionEndToEndTests {
    @Test("tokenize without --model uses multilingual BERT's tokenizer from the Hugging Face cache")
    func tokenizeDefault() throws {
        let sandbox = try Sandbox()
        try sandbox.cacheSnapshot(repo: DefaultModels.hub.repo, commit: .commit("mbert"), from: TestPaths.multilingualCased)
        let result = try Bertscope.run(["tokenize", "--json", "Weißbier"], environment: sandbox.environment())
        #expect(result.status == 0, "\(result.standardError)")
        #expect(try jsonObject(result.standardOutput)["tokens"] as? [String] == ["[CLS]", "Weiß", "##bier", "[SEP]"])
    }

    @Test("models --json reports the active default, why, and what each cache holds")
    func modelsJSON() throws {
        let sandbox = try Sandbox()
        let nothing = try Bertscope.run(["models", "--json"], environment: sandbox.environment())
        #expect(nothing.status == 0, "\(nothing.standardError)")
        let empty = try jsonObject(nothing.standardOutput)
        #expect(empty["active"] is NSNull)
        #expect((empty["active_error"] as? String)?.contains("bertscope pull --default-offline") == true)

        let snapshot = try sandbox.cacheSnapshot(repo: DefaultModels.hub.repo, commit: .commit("m"), from: TestPaths.fixtures.appendingPathComponent("engine/tiny-modern"))
        let listed = try Bertscope.run(["models", "--json"], environment: sandbox.environment())
        let object = try jsonObject(listed.standardOutput)
        let active = object["active"] as? [String: Any]
        #expect(active?["folder"] as? String == snapshot.path)
        #expect(active?["reason_code"] as? String == "default-hf-cache")
        let models = (object["hf_cache"] as? [String: Any])?["models"] as? [[String: Any]] ?? []
        #expect(models.count == 1)
        #expect(models.first?["refs"] as? [String] == ["main"])
        #expect(models.first?["has_weights"] as? Bool == true)
        #expect(models.first?["is_default"] as? Bool == true)

        let text = try Bertscope.run(["models"], environment: sandbox.environment())
        #expect(text.standardOutput.contains("Default model (no --model): google-bert/bert-base-multilingual-cased"))
        #expect(text.standardOutput.contains("weights + tokenizer"), "what the snapshot holds: \(text.standardOutput)")
    }

    @Test("model info shows the config, heads, parameters, size and tensor table")
    func modelInfo() throws {
        let folder = TestPaths.fixtures.appendingPathComponent("engine/tiny-google")
        let sandbox = try Sandbox()
        let result = try Bertscope.run(["model", "info", "--model", folder.path, "--json"], environment: sandbox.environment())
        #expect(result.status == 0, "\(result.standardError)")
        let object = try jsonObject(result.standardOutput)
        #expect(object["reason_code"] as? String == "path")
        #expect((object["config"] as? [String: Any])?["hidden_size"] as? Int == 32)
        let heads = object["heads"] as? [String: Bool]
        #expect(heads?["pooler"] != nil && heads?["masked_lm"] != nil)
        let tensors = object["tensors"] as? [[String: Any]] ?? []
        let total = tensors.reduce(0) { $0 + (($1["shape"] as? [Int])?.reduce(1, *) ?? 0) }
        #expect((object["parameters"] as? [String: Any])?["checkpoint"] as? Int == total)
        #expect((object["size_bytes"] as? Int ?? 0) > 80_000)

        let text = try Bertscope.run(["model", "info", "--model", folder.path], environment: sandbox.environment())
        #expect(text.standardOutput.contains("Tensors (\(tensors.count)):"))
        #expect(text.standardOutput.contains("bert.embeddings.word_embeddings.weight"))
    }

    @Test("model info names the family, the tokenizer (type, file, pieces) and the sentence pooling a sentence-transformers folder declares")
    func modelInfoSummary() throws {
        let sandbox = try Sandbox()
        let folder = try TestPaths.require(TestPaths.miniLM, madeBy: "scripts/fetch_test_assets.sh")
        let result = try Bertscope.run(["model", "info", "--model", folder.path, "--json"], environment: sandbox.environment())
        #expect(result.status == 0, "\(result.standardError)")
        let object = try jsonObject(result.standardOutput)
        #expect(object["family"] as? String == "bert")
        let tokenizer = object["tokenizer"] as? [String: Any]
        #expect(tokenizer?["type"] as? String == "wordpiece")
        #expect(tokenizer?["file"] as? String == "tokenizer.json", "tokenizer.json is the source of truth where it exists")
        let vocabulary = try String(contentsOf: folder.appendingPathComponent("vocab.txt"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(tokenizer?["pieces"] as? Int == vocabulary.count - (vocabulary.last == "" ? 1 : 0))
        // all-MiniLM-L6-v2 declares mean pooling, then Normalize (its 1_Pooling/config.json and modules.json).
        let pooling = object["sentence_pooling"] as? [String: Any]
        #expect(pooling?["modes"] as? [String] == ["mean"])
        #expect(pooling?["normalize"] as? Bool == true)
        #expect(pooling?["summary"] as? String == "mean, then normalized")

        let tiny = TestPaths.fixtures.appendingPathComponent("engine/tiny-google")
        let plain = try jsonObject(try Bertscope.run(["model", "info", "--model", tiny.path, "--json"], environment: sandbox.environment()).standardOutput)
        #expect(plain["sentence_pooling"] is NSNull)
        #expect((plain["tokenizer"] as? [String: Any])?["file"] as? String == "vocab.txt")
    }

    @Test("model info on sharded weights lists every shard's tensors: the names the index maps, and their parameters")
    func modelInfoSharded() throws {
        let sandbox = try Sandbox()
        let folder = TestPaths.fixtures.appendingPathComponent("engine/tiny-xlmr-sharded")
        let result = try Bertscope.run(["model", "info", "--model", folder.path, "--json"], environment: sandbox.environment())
        #expect(result.status == 0, "\(result.standardError)")
        let object = try jsonObject(result.standardOutput)
        #expect(object["family"] as? String == "xlm-roberta")
        let index = try jsonObject(String(contentsOf: folder.appendingPathComponent("model.safetensors.index.json"), encoding: .utf8))
        let tensors = object["tensors"] as? [[String: Any]] ?? []
        #expect(Set(tensors.compactMap { $0["name"] as? String }) == Set(((index["weight_map"] as? [String: Any]) ?? [:]).keys))
        let total = tensors.reduce(0) { $0 + (($1["shape"] as? [Int])?.reduce(1, *) ?? 0) }
        #expect(total > 0 && (object["parameters"] as? [String: Any])?["checkpoint"] as? Int == total)
        let text = try Bertscope.run(["model", "info", "--model", folder.path], environment: sandbox.environment())
        #expect(text.standardOutput.contains("in 2 shards of model.safetensors.index.json"), "\(text.standardOutput)")
    }

    @Test("model info on a tokenizer-only folder shows its config and files and says the weights are missing")
    func modelInfoWithoutWeights() throws {
        let sandbox = try Sandbox()
        let folder = TestPaths.multilingualCased
        let result = try Bertscope.run(["model", "info", "--model", folder.path, "--json"], environment: sandbox.environment())
        #expect(result.status == 0, "\(result.standardError)")
        let object = try jsonObject(result.standardOutput)
        #expect((object["config"] as? [String: Any])?["vocab_size"] as? Int == 119547)
        #expect((object["parameters"] as? [String: Any])?["checkpoint"] is NSNull)
        #expect((object["heads"] as? [String: Any])?["masked_lm"] is NSNull, "unknown without weights, not false")
        #expect((object["load_error"] as? String)?.contains("model.safetensors") == true)
        #expect((object["files"] as? [[String: Any]])?.contains { $0["name"] as? String == "vocab.txt" } == true)
        let text = try Bertscope.run(["model", "info", "--model", folder.path], environment: sandbox.environment())
        #expect(text.standardOutput.contains("no model.safetensors: tokenizer only"), "\(text.standardOutput)")
    }

    @Test("a WordPiece dialect asked of the offline default is refused for what it is, without a reinstall hint")
    func dialectOfOfflineDefault() throws {
        let sandbox = try Sandbox()
        let installed = ModelResolver(environment: sandbox.storeEnvironment()).offlineDefaultFolder
        try FileManager.default.createDirectory(at: installed, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: installed.appendingPathComponent(TestPaths.e5Model.lastPathComponent),
                                                   withDestinationURL: TestPaths.e5Model)
        let result = try Bertscope.run(["tokenize", "--dialect", "google", "Hund"], environment: sandbox.environment())
        #expect(result.status != 0)
        #expect(result.standardError.contains("--dialect google is a WordPiece (BERT) dialect"), "\(result.standardError)")
        #expect(!result.standardError.contains("installs the offline default again"), "\(result.standardError)")
    }

    @Test("a command without --model and without any model says how to get one")
    func noModel() throws {
        let sandbox = try Sandbox()
        let result = try Bertscope.run(["embed", "hello"], environment: sandbox.environment())
        #expect(result.status != 0)
        #expect(result.standardError.contains("bertscope pull"))
    }
}
