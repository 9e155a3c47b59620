import Foundation

/// bertscope's own model cache, `${BERTSCOPE_CACHE:-~/.cache/bertscope}/models/NAME/`: plain model folders,
/// each with a `.bertscope-source.json` saying where it came from.
public enum BertscopeCache {
    /// Where an installed model came from.
    public struct Source: Sendable, Equatable, Codable {
        public var source: String
        public var requirement: String?
        public var wheelSHA256: String?
        /// The wheels the companion files came from.
        public var companions: [Source]?

        enum CodingKeys: String, CodingKey {
            case source, requirement, companions
            case wheelSHA256 = "wheel_sha256"
        }
    }

    /// A model folder in bertscope's cache.
    public struct Model: Sendable, Equatable {
        public var name: String
        public var folder: URL
        public var files: [String]
        public var sizeBytes: Int64
        public var modelType: String?
        public var source: Source?
    }

    /// The model folders under `models/`, sorted by name.
    public static func models(in environment: StoreEnvironment) -> [Model] {
        let root = environment.bertscopeModels
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).sorted()
        return names.compactMap { name in
            let folder = root.appendingPathComponent(name, isDirectory: true)
            guard !name.hasPrefix("."), directoryExists(folder) else { return nil }
            let files = regularFiles(in: folder)
            return Model(
                name: name, folder: folder, files: files,
                sizeBytes: files.reduce(0) { $0 + (fileSize(folder.appendingPathComponent($1).path) ?? 0) },
                modelType: modelType(ofConfig: folder.appendingPathComponent("config.json")), source: source(of: folder))
        }
    }

    static func source(of folder: URL) -> Source? {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent(OfflineDefaultInstaller.markerName)) else { return nil }
        return try? JSONDecoder().decode(Source.self, from: data)
    }
}

/// Bytes of the files below a folder (following symlinks, each target once), hidden files included.
public func folderSize(_ folder: URL) -> Int64 {
    guard let enumerator = FileManager.default.enumerator(atPath: folder.path) else { return 0 }
    var seen = Set<String>()
    var total: Int64 = 0
    while let relative = enumerator.nextObject() as? String {
        let path = resolvingSymlinks(folder.appendingPathComponent(relative).path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              seen.insert(path).inserted else { continue }
        total += fileSize(path) ?? 0
    }
    return total
}
