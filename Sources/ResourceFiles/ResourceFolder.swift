import Foundation

/// The folder of data bertscope ships and reads at run time (`Resources/` of the repository): the baseline
/// sentences and the example sets. This type is the one place that knows where that folder is.
public struct ResourceFolder: Sendable {
    public static let environmentVariable = "BERTSCOPE_RESOURCES"
    /// The file every resource folder holds: what tells bertscope's resources from any folder named Resources.
    public static let baselineFile = "baseline.tsv"
    public static let examplesFolder = "examples"

    public let url: URL

    public init(url: URL) { self.url = url }

    /// Looks, in order, at $BERTSCOPE_RESOURCES (when set, the only place looked at); PREFIX/share/bertscope for
    /// an executable PREFIX/bin/bertscope (scripts/install); and Resources/ in the executable's folder or any
    /// folder above it (a checkout's .build/release/bertscope, so `swift run` from a clean clone finds it).
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment,
                              executable: URL? = currentExecutable) throws -> ResourceFolder {
        if let given = environment[environmentVariable], !given.isEmpty {
            let folder = URL(fileURLWithPath: given)
            guard holdsResources(folder) else { throw ResourceError.notAResourceFolder(folder.path, variable: environmentVariable) }
            return ResourceFolder(url: folder)
        }
        var looked = ["$\(environmentVariable) (not set)"]
        if let executable {
            let bin = executable.deletingLastPathComponent()
            if bin.lastPathComponent == "bin" {
                let installed = bin.deletingLastPathComponent().appendingPathComponent("share/bertscope")
                if holdsResources(installed) { return ResourceFolder(url: installed) }
                looked.append(installed.path)
            }
            var folder = bin
            while true {
                let candidate = folder.appendingPathComponent("Resources")
                if holdsResources(candidate) { return ResourceFolder(url: candidate) }
                looked.append(candidate.path)
                let parent = folder.deletingLastPathComponent()
                if parent.path == folder.path { break }
                folder = parent
            }
        }
        throw ResourceError.notFound(looked: looked)
    }

    /// The running program, with symbolic links resolved (a link in ~/bin to a checkout's build finds the checkout).
    public static var currentExecutable: URL? { Bundle.main.executableURL?.resolvingSymlinksInPath() }

    static func holdsResources(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent(baselineFile).path)
    }

    /// The baseline's sentences, in file order.
    public func baselineSentences() throws -> [String] {
        try ParallelTextFile(url.appendingPathComponent(Self.baselineFile)).rows.map(\.text)
    }

    /// Every example set, by name.
    public func exampleSets() throws -> [ExampleSet] {
        let folder = url.appendingPathComponent(Self.examplesFolder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return try names.filter { $0.hasSuffix(".tsv") }.sorted().map { try ExampleSet(ParallelTextFile(folder.appendingPathComponent($0))) }
    }

    /// The example set called `name`.
    public func exampleSet(named name: String) throws -> ExampleSet {
        let sets = try exampleSets()
        guard let found = sets.first(where: { $0.name == name }) else {
            throw ResourceError.noSuchExample(name, known: sets.map(\.name), folder: url.appendingPathComponent(Self.examplesFolder).path)
        }
        return found
    }
}

/// What went wrong finding or reading the resources, said so the user knows where to look.
public enum ResourceError: Error, Equatable, CustomStringConvertible {
    case notFound(looked: [String])
    case notAResourceFolder(String, variable: String)
    case unreadable(file: String, reason: String)
    case badLine(file: String, line: Int, reason: String)
    case notParallel(file: String, reason: String)
    case noSuchExample(String, known: [String], folder: String)

    public var description: String {
        switch self {
        case .notFound(let looked):
            return "bertscope's resources (the folder with \(ResourceFolder.baselineFile)) were not found; looked at: "
                + looked.joined(separator: ", ") + ". Set \(ResourceFolder.environmentVariable) to the Resources folder, or install with scripts/install"
        case let .notAResourceFolder(path, variable):
            return "\(variable)=\(path) is not a resources folder (it has no \(ResourceFolder.baselineFile))"
        case let .unreadable(file, reason): return "\(file): \(reason)"
        case let .badLine(file, line, reason): return "\(file):\(line): \(reason)"
        case let .notParallel(file, reason): return "\(file): not parallel: \(reason)"
        case let .noSuchExample(name, known, folder):
            return "no example set \"\(name)\" in \(folder); there are: \(known.joined(separator: ", "))"
        }
    }
}
