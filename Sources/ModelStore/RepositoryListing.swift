import Foundation

/// A repository revision's files as the Hub's API lists them (`GET {endpoint}/api/models/{repo}/revision/{revision}`,
/// whose JSON has the commit as `sha` and the files as `siblings[].rfilename`, as `huggingface_hub`'s
/// `model_info` reads it), and the ones bertscope pulls of them. Repositories differ in what they have: mBERT
/// has vocab.txt, XLM-R and e5 only tokenizer.json, large models shard their weights; asking the Hub what is
/// there replaces guessing a fixed list of names.
struct RepositoryListing: Equatable {
    var commit: String
    var files: [String]

    /// What bertscope reads, in the order pulled: config.json first, so that a model bertscope cannot run is
    /// refused before its weights are downloaded; the weights last. Everything else a repository has (other
    /// frameworks' weights, ONNX exports, READMEs) is left on the Hub.
    static let readable = [
        "config.json",
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "sentencepiece.bpe.model",
        "modules.json", "config_sentence_transformers.json", "1_Pooling/config.json",
        "model.safetensors.index.json", "model.safetensors",
    ]

    /// The `readable` files the repository has, with one set of weights: model.safetensors where it exists,
    /// else the index of shards (the shards follow once the index is read: `shards(ofIndex:)`).
    func selection(for reference: RepoReference) throws -> [HubFile] {
        let present = Set(files)
        guard present.contains("config.json") else { throw ModelStoreError.fileNotFound(reference, file: "config.json") }
        guard present.contains("tokenizer.json") || present.contains("vocab.txt") else {
            throw ModelStoreError.noReadableTokenizer(reference, has: files.filter { $0.hasPrefix("tokenizer") || $0.hasSuffix(".model") || $0 == "vocab.json" })
        }
        var chosen = RepositoryListing.readable.filter(present.contains)
        if present.contains("model.safetensors") {
            chosen.removeAll { $0 == "model.safetensors.index.json" }
        } else if !present.contains("model.safetensors.index.json") {
            if let pickle = files.first(where: { $0 == "pytorch_model.bin" || $0 == "pytorch_model.bin.index.json" }) {
                throw ModelStoreError.pickleWeightsOnly(reference, file: pickle)
            }
            throw ModelStoreError.fileNotFound(reference, file: "model.safetensors")
        }
        return chosen.map { HubFile($0, required: true) }
    }

    /// The listing in an API answer's body; `source` names it in errors.
    init(json body: Data, source: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
              let sha = object["sha"] as? String, let siblings = object["siblings"] as? [[String: Any]] else {
            throw ModelStoreError.notAHub(url: source, missing: "file listing in its answer (JSON with sha and siblings)")
        }
        commit = try CacheNames.commit(sha, from: "the Hub's file listing (sha)")
        files = siblings.compactMap { $0["rfilename"] as? String }
    }

    init(commit: String, files: [String]) {
        self.commit = commit
        self.files = files
    }

    /// `{endpoint}/api/models/{repo}/revision/{revision}`, the revision escaped as one path segment.
    static func url(endpoint: URL, reference: RepoReference) -> URL {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/")
        let revision = reference.revision.addingPercentEncoding(withAllowedCharacters: allowed) ?? reference.revision
        return URL(string: "\(endpoint.absoluteString)/api/models/\(reference.repo)/revision/\(revision)")!
    }

    /// The shard files a `model.safetensors.index.json` names in its `weight_map`, each once, in order of name;
    /// each must be a safetensors file of the listing (a name the server made up is refused before it is asked for).
    func shards(ofIndex index: URL, reference: RepoReference) throws -> [HubFile] {
        guard let data = FileManager.default.contents(atPath: index.path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = object["weight_map"] as? [String: Any] else {
            throw ModelStoreError.invalidShardIndex(reference, reason: "it is not JSON with a weight_map object")
        }
        var names = Set<String>()
        for value in map.values {
            guard let name = value as? String else {
                throw ModelStoreError.invalidShardIndex(reference, reason: "a weight_map value is not a file name")
            }
            names.insert(name)
        }
        let present = Set(files)
        return try names.sorted().map { name in
            _ = try CacheNames.relativePath(name, from: "model.safetensors.index.json's weight_map")
            guard name.hasSuffix(".safetensors"), present.contains(name) else {
                throw ModelStoreError.invalidShardIndex(reference, reason: "it names \(name), which is not a safetensors file of the repository")
            }
            return HubFile(name, required: true)
        }
    }
}
