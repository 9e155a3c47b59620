import Foundation
@testable import ModelStore
import TestSupport

/// The fake Hub (fake_hub.py beside this file) on a free 127.0.0.1 port. It stops when `stop()` closes its
/// standard input, when this process ends, or after a minute on its own.
final class FakeHub {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("fake_hub.py")

    let port: Int
    let log: URL
    private let process = Process()
    private let input = Pipe()

    init(_ arguments: [String], in sandbox: Sandbox) throws {
        log = sandbox.root.appendingPathComponent("hub-requests-\(UUID().uuidString).jsonl")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", FakeHub.script.path, "--log", log.path, "--lifetime", "60"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = input
        try process.run()
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line += byte
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5)) else {
            port = 0
            stop()
            throw FakeHubError(description: "fake_hub.py did not start (printed \"\(text)\"); is python3 on PATH?")
        }
        self.port = port
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// The requests the server saw: method, path, range, authorization.
    func requests() -> [[String: Any]] {
        guard let data = try? Data(contentsOf: log) else { return [] }
        return data.split(separator: UInt8(ascii: "\n")).compactMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit { stop() }
}

struct FakeHubError: Error, CustomStringConvertible { var description: String }

/// A temporary folder holding a Hugging Face home and a bertscope cache, and the environment that points
/// bertscope at them (and at nothing of the real user's).
final class Sandbox {
    let root: URL
    let hfHome: URL

    /// `nestedHome` puts the Hugging Face home five folders down (`l1/l2/l3/l4/l5/hf`), so a path that climbs
    /// out of the cache with `..` still lands inside the sandbox, where a test can see it.
    init(nestedHome: Bool = false) throws {
        root = try makeTemporaryFolder("store")
        hfHome = root.appendingPathComponent(nestedHome ? "l1/l2/l3/l4/l5/hf" : "hf", isDirectory: true)
    }

    deinit { try? FileManager.default.removeItem(at: root) }
    var hubCache: URL { hfHome.appendingPathComponent("hub", isDirectory: true) }
    var bertscopeCache: URL { root.appendingPathComponent("bertscope", isDirectory: true) }

    /// Variables for the bertscope binary; empty values count as unset.
    func environment(_ hub: FakeHub? = nil, _ extra: [String: String] = [:]) -> [String: String] {
        var variables = [
            "HF_HOME": hfHome.path, "HF_HUB_CACHE": "", "HUGGINGFACE_HUB_CACHE": "", "XDG_CACHE_HOME": "",
            "BERTSCOPE_CACHE": bertscopeCache.path, "HF_ENDPOINT": hub?.endpoint ?? "http://127.0.0.1:9",
            "HF_TOKEN": "", "HF_TOKEN_PATH": root.appendingPathComponent("no-token").path, "HF_HUB_OFFLINE": "",
            "no_proxy": "127.0.0.1,localhost", "NO_PROXY": "127.0.0.1,localhost",
        ]
        variables.merge(extra) { $1 }
        return variables
    }

    /// The same, for the library.
    func storeEnvironment(_ extra: [String: String] = [:]) -> StoreEnvironment {
        StoreEnvironment(ProcessInfo.processInfo.environment.merging(environment(nil, extra)) { $1 })
    }

    /// A model folder made of some of a fixture's files, plus extra files.
    func modelFolder(_ name: String, from fixture: String, files: [String]? = nil, extra: [String: String] = [:]) throws -> URL {
        let source = TestPaths.fixtures.appendingPathComponent("engine/\(fixture)")
        let folder = root.appendingPathComponent("models/\(name)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for file in try files ?? FileManager.default.contentsOfDirectory(atPath: source.path) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: folder.appendingPathComponent(file))
        }
        for (file, text) in extra { try Data(text.utf8).write(to: folder.appendingPathComponent(file)) }
        return folder
    }

    /// Puts a folder's files into the Hugging Face cache the way huggingface_hub does (blobs, snapshot
    /// symlinks, refs), for resolution tests that need no server.
    @discardableResult
    func cacheSnapshot(repo: String, commit: String, refs: [String] = ["main"], from folder: URL) throws -> URL {
        let reference = RepoReference(repo: repo)
        let cache = HubCache(root: hubCache)
        let snapshot = try cache.snapshotFolder(reference, commit: commit)
        let blobs = cache.blobsFolder(reference)
        try FileManager.default.createDirectory(at: snapshot, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let etag = try SHA256.hex(ofFile: folder.appendingPathComponent(file))
            let blob = blobs.appendingPathComponent(etag)
            if !FileManager.default.fileExists(atPath: blob.path) {
                try FileManager.default.copyItem(at: folder.appendingPathComponent(file), to: blob)
            }
            try FileManager.default.createSymbolicLink(atPath: snapshot.appendingPathComponent(file).path, withDestinationPath: "../../blobs/\(etag)")
        }
        for ref in refs {
            let refFile = cache.repoFolder(reference).appendingPathComponent("refs/\(ref)")
            try FileManager.default.createDirectory(at: refFile.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(commit.utf8).write(to: refFile)
        }
        return snapshot
    }
}

func sha256(_ url: URL) throws -> String { try SHA256.hex(ofFile: url) }

func fileExists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

func jsonObject(_ text: String) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
}

extension String {
    /// Forty hex digits made from a short label, for fake commit hashes.
    static func commit(_ label: String) -> String {
        let hex = label.utf8.map { String($0, radix: 16) }.joined()
        return String((hex + String(repeating: "0", count: 40)).prefix(40))
    }
}
