import BertEngine
import Foundation
import ModelLoader

/// What a command needs from a model folder.
public enum ModelRequirement: Sendable {
    /// A tokenizer (tokenizer.json or vocab.txt), or an E5S1 file: enough to tokenize.
    case tokenizer
    /// config.json, a tokenizer and safetensors weights (one file or an index of shards), or an E5S1 file
    /// (which holds the tokenizer, the config and the weights): enough to run the encoder.
    case weights

    /// What this needs of a Hugging Face folder: each entry is met by any one of its files.
    public var fileChoices: [[String]] {
        let tokenizer = ["tokenizer.json", "vocab.txt"]
        switch self {
        case .tokenizer: return [tokenizer]
        case .weights: return [["config.json"], tokenizer, ["model.safetensors", "model.safetensors.index.json"]]
        }
    }

    /// The folder holds what this needs.
    public func isMet(in folder: URL) -> Bool { missingFiles(in: folder).isEmpty }

    /// What the folder lacks, in words: "vocab.txt or tokenizer.json" for a choice none of whose files is there.
    func missingFiles(in folder: URL) -> [String] {
        if ModelFolderFormat(of: folder).e5s1 != nil { return [] }
        return fileChoices.filter { choice in
            !choice.contains { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
        }.map { $0.joined(separator: " or ") }
    }
}

/// The model a command will use, and why it was chosen (for the status bar and `bertscope models`).
public struct ResolvedModel: Sendable, Equatable {
    /// The folder holding config.json, the tokenizer, the weights, …
    public var folder: URL
    /// What to call it: a repository id (`google-bert/bert-base-multilingual-cased`, `@revision` unless main),
    /// a name in bertscope's cache, or the folder's name.
    public var name: String
    public var reason: ResolutionReason
}

/// Why a model was chosen.
public enum ResolutionReason: Sendable, Equatable, CustomStringConvertible {
    /// `--model` named an existing folder.
    case path
    /// `--model` named a repository found in the Hugging Face cache.
    case huggingFaceCache(HubSnapshot)
    /// `--model` named a model in bertscope's own cache.
    case bertscopeCache
    /// No `--model`: the Hub default is in the Hugging Face cache.
    case defaultInHuggingFaceCache(HubSnapshot)
    /// No `--model`, and the Hub default is not usable from the Hugging Face cache (`hubDefaultProblem` says
    /// why), so bertscope's offline default is used.
    case offlineDefault(hubDefaultProblem: String)

    /// A stable identifier for JSON output: path, hf-cache, bertscope-cache, default-hf-cache, default-offline.
    public var code: String {
        switch self {
        case .path: return "path"
        case .huggingFaceCache: return "hf-cache"
        case .bertscopeCache: return "bertscope-cache"
        case .defaultInHuggingFaceCache: return "default-hf-cache"
        case .offlineDefault: return "default-offline"
        }
    }

    /// A word or two for a status bar: empty when `--model` chose the model.
    public var headline: String {
        switch self {
        case .path, .huggingFaceCache, .bertscopeCache: return ""
        case .defaultInHuggingFaceCache: return "default"
        case .offlineDefault: return "offline default"
        }
    }

    public var isOfflineDefault: Bool {
        if case .offlineDefault = self { return true }
        return false
    }

    /// The model was chosen because `--model` was not given.
    public var isDefault: Bool {
        switch self {
        case .defaultInHuggingFaceCache, .offlineDefault: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .path:
            return "--model names this folder"
        case .huggingFaceCache(let snapshot):
            return "--model names \(snapshot.reference), found in the Hugging Face cache (commit \(snapshot.commit.prefix(12)))"
        case .bertscopeCache:
            return "--model names a model in bertscope's cache"
        case .defaultInHuggingFaceCache(let snapshot):
            return "the default (no --model): \(snapshot.reference), found in the Hugging Face cache (commit \(snapshot.commit.prefix(12)))"
        case .offlineDefault(let problem):
            return "bertscope's offline default (no --model), because \(problem); `bertscope pull` downloads \(DefaultModels.hub.repo) when the Hub is reachable"
        }
    }
}

/// Finds the model `--model` names, in this order: an existing folder; the Hugging Face cache (a repository
/// id, optionally `@revision`, or a bare name); bertscope's own cache. Without `--model`: the Hub default
/// from the Hugging Face cache, else bertscope's offline default. Never touches the network.
public struct ModelResolver: Sendable {
    public var environment: StoreEnvironment
    public var hubCache: HubCache { HubCache(root: environment.hubCache) }

    public init(environment: StoreEnvironment = StoreEnvironment()) { self.environment = environment }

    /// The model `spec` names (nil or empty: the default), holding at least the files `requirement` needs.
    public func resolve(_ spec: String?, needs requirement: ModelRequirement = .weights) throws -> ResolvedModel {
        guard let spec, !spec.isEmpty else { return try resolveDefault(needs: requirement) }

        // 1. A folder. Its files are checked by whoever loads them, with their own precise errors.
        let path = StoreEnvironment.expandTilde(spec, home: nil)
        let folder = URL(fileURLWithPath: path, isDirectory: true)
        if directoryExists(folder) {
            return ResolvedModel(folder: folder.standardizedFileURL, name: ModelResolver.displayName(ofFolder: folder), reason: .path)
        }
        if FileManager.default.fileExists(atPath: path) { throw ModelStoreError.notAFolder(path) }
        guard !ModelResolver.looksLikePath(spec), let reference = RepoReference(parsing: spec) else {
            throw ModelStoreError.noSuchModelFolder(path)
        }

        // 2. The Hugging Face cache.
        var incomplete: (name: String, folder: URL, missing: [String])?
        for candidate in try cachedCandidates(for: reference) {
            guard let snapshot = hubCache.snapshot(for: candidate) else { continue }
            let missing = requirement.missingFiles(in: snapshot.folder)
            if missing.isEmpty {
                return ResolvedModel(folder: snapshot.folder, name: candidate.description, reason: .huggingFaceCache(snapshot))
            }
            incomplete = incomplete ?? (candidate.description, snapshot.folder, missing)
        }

        // 3. bertscope's own cache, by bare name.
        if !reference.repo.contains("/"), reference.revision == RepoReference.defaultRevision {
            let own = environment.bertscopeModels.appendingPathComponent(reference.repo, isDirectory: true)
            if directoryExists(own) {
                let missing = requirement.missingFiles(in: own)
                if missing.isEmpty { return ResolvedModel(folder: own, name: reference.repo, reason: .bertscopeCache) }
                incomplete = incomplete ?? (reference.repo, own, missing)
            }
        }
        if let incomplete {
            throw ModelStoreError.incompleteModel(name: incomplete.name, folder: incomplete.folder.path, missing: incomplete.missing,
                                                  pullCommand: "bertscope pull \(reference)")
        }
        throw ModelStoreError.modelNotFound(spec: spec, hubCache: environment.hubCache.path,
                                            bertscopeModels: environment.bertscopeModels.path, reference: reference)
    }

    /// Without `--model`: the Hub default if the Hugging Face cache has it, else the offline default. A default
    /// that can run the encoder comes first whatever the command needs, so that every command (tokenize and
    /// embed alike) uses the same model; a tokenizer-only copy serves only when nothing can run the encoder.
    public func resolveDefault(needs requirement: ModelRequirement = .weights) throws -> ResolvedModel {
        if requirement != .weights, let complete = try? firstDefault(needs: .weights) { return complete }
        return try firstDefault(needs: requirement)
    }

    /// The Hub default if the Hugging Face cache has what `requirement` needs of it, else the offline default.
    private func firstDefault(needs requirement: ModelRequirement) throws -> ResolvedModel {
        var problem = "\(DefaultModels.hub.repo) is not in the Hugging Face cache (\(environment.hubCache.path))"
        for alias in DefaultModels.hubAliases {
            guard let snapshot = hubCache.snapshot(for: alias) else { continue }
            let missing = requirement.missingFiles(in: snapshot.folder)
            if missing.isEmpty {
                return ResolvedModel(folder: snapshot.folder, name: DefaultModels.hub.repo, reason: .defaultInHuggingFaceCache(snapshot))
            }
            problem = "the Hugging Face cache has \(alias.repo) without \(missing.joined(separator: ", "))"
        }
        let offline = offlineDefaultFolder
        if requirement.missingFiles(in: offline).isEmpty {
            return ResolvedModel(folder: offline, name: DefaultModels.offline.name, reason: .offlineDefault(hubDefaultProblem: problem))
        }
        throw ModelStoreError.noDefaultModel(hubDefaultProblem: problem, offlineFolder: offline.path)
    }

    /// Where `bertscope pull --default-offline` installs the offline default.
    public var offlineDefaultFolder: URL {
        environment.bertscopeModels.appendingPathComponent(DefaultModels.offline.name, isDirectory: true)
    }

    /// The repositories in the cache a reference may mean: itself when it has an org, else `NAME` and
    /// then `ORG/NAME` (one org only; several are ambiguous).
    private func cachedCandidates(for reference: RepoReference) throws -> [RepoReference] {
        if reference.repo.contains("/") { return [reference] }
        let matches = hubCache.repositories(named: reference.repo)
        let exact = matches.filter { $0 == reference.repo }
        let withOrg = matches.filter { $0 != reference.repo }
        if withOrg.count > 1 && exact.isEmpty {
            throw ModelStoreError.ambiguousModelName(reference.repo, candidates: withOrg)
        }
        return (exact + withOrg).map { RepoReference(repo: $0, revision: reference.revision) }
    }

    /// `./x`, `../x`, `/x`, `~/x`: meant as a folder even if it does not exist.
    static func looksLikePath(_ spec: String) -> Bool {
        spec.hasPrefix("/") || spec.hasPrefix("./") || spec.hasPrefix("../") || spec.hasPrefix("~") || spec == "." || spec == ".."
    }

    /// A folder's name, or the repository id when the folder is a hub-cache snapshot.
    static func displayName(ofFolder folder: URL) -> String {
        let components = folder.standardizedFileURL.pathComponents
        if components.count >= 3, components[components.count - 2] == "snapshots",
           components[components.count - 3].hasPrefix("models--") {
            return String(components[components.count - 3].dropFirst("models--".count)).replacingOccurrences(of: "--", with: "/")
        }
        return folder.standardizedFileURL.lastPathComponent
    }
}
