#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Exports are written under a temporary name beside their destination, flushed to disk, and only then
// renamed into place, so a reader (or a crash) sees the previous file or the complete new one, never a
// truncated file that looks complete.

// MARK: - Destination checks

/// What is at a destination path before an export replaces it.
struct Destination {
    var path: String
    var folder: String
    var name: String
    /// The file mode of what is there now, `nil` when nothing is.
    var existingMode: mode_t?
    var isFolder: Bool

    var exists: Bool { existingMode != nil }

    init(_ path: String) {
        self.path = path
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        if let slash = trimmed.lastIndex(of: "/") {
            folder = slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
            name = String(trimmed[trimmed.index(after: slash)...])
        } else {
            folder = "."
            name = trimmed
        }
        var status = stat()
        if stat(trimmed, &status) == 0 {
            existingMode = status.st_mode & 0o7777
            isFolder = (status.st_mode & S_IFMT) == S_IFDIR
        } else {
            existingMode = nil
            isFolder = false
        }
    }

    /// Throws unless an export may be written here: the folder exists, the path is of the wanted kind,
    /// and it is free or may be replaced.
    func validate(overwrite: Bool, wantsFolder: Bool) throws {
        var status = stat()
        guard stat(folder, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else {
            throw ExportError.folderMissing(path: path, folder: folder)
        }
        guard exists else { return }
        if wantsFolder {
            guard isFolder else { throw ExportError.wrongKind(path: path, expected: "a folder (this format writes a folder)") }
            if !overwrite && !Self.isEmptyFolder(path) { throw ExportError.exists(path: path) }
        } else {
            guard !isFolder else { throw ExportError.wrongKind(path: path, expected: "a file (it is a folder)") }
            if !overwrite { throw ExportError.exists(path: path) }
        }
    }

    /// A fresh name beside the destination: `.name.tag-1a2b3c4d`, hidden and recognisable.
    func siblingName(_ tag: String) -> String {
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return (folder == "/" ? "" : folder) + "/." + name + "." + tag + "-" + suffix
    }

    static func isEmptyFolder(_ path: String) -> Bool {
        guard let directory = opendir(path) else { return false }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { return false }
        }
        return true
    }
}

/// Writes all of `bytes` to `descriptor` (at `offset` when given, else at its position), retrying
/// interrupted and partial writes. Returns nil, or the errno of the write that failed.
public func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int? = nil) -> Int32? {
    guard var pointer = bytes.baseAddress else { return nil }
    var remaining = bytes.count
    var position = offset
    while remaining > 0 {
        let written = position.map { pwrite(descriptor, pointer, remaining, off_t($0)) } ?? write(descriptor, pointer, remaining)
        if written < 0 {
            if errno == EINTR { continue }
            return errno
        }
        remaining -= written
        pointer += written
        position = position.map { $0 + written }
    }
    return nil
}

/// Flushes a folder's entry list to disk after a rename; a failure here loses nothing already renamed,
/// so it is not reported.
func syncFolder(_ folder: String) {
    let descriptor = open(folder, O_RDONLY)
    guard descriptor >= 0 else { return }
    _ = fsync(descriptor)
    close(descriptor)
}

/// Removes a folder and everything in it (the exports' own temporary or replaced folders only).
func removeTree(_ path: String) {
    if let directory = opendir(path) {
        var names = [String]()
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(directory)
        for name in names {
            let child = path + "/" + name
            var status = stat()
            if lstat(child, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR { removeTree(child) } else { unlink(child) }
        }
    }
    rmdir(path)
}

// MARK: - Buffered output

/// A newly created file written through a 1 MiB buffer; every system error becomes an `ExportError`
/// naming the export's destination.
final class OutputFile {
    private var descriptor: Int32
    private var buffer = [UInt8]()
    private let capacity = 1 << 20
    /// How errors are reported: the destination's path and whether an older file survives.
    private let reportPath: String
    private let keptOnFailure: Bool

    /// Creates `path`, or returns `nil` when something is already there (the process umask applies, as
    /// for any new file).
    init?(creating path: String, reportPath: String, keptOnFailure: Bool) throws {
        self.reportPath = reportPath
        self.keptOnFailure = keptOnFailure
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        if descriptor < 0 {
            if errno == EEXIST { return nil }
            throw ExportError.failed(path: reportPath, reason: ExportError.systemReason(), kept: keptOnFailure)
        }
        buffer.reserveCapacity(capacity)
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > capacity { try flush() }
        if bytes.count >= capacity {
            try writeFully(bytes, at: nil)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// Writes little-endian IEEE float32 values.
    func write(float32 values: [Float]) throws {
        var bytes = [UInt8](repeating: 0, count: values.count * 4)
        bytes.withUnsafeMutableBytes { raw in
            for (index, value) in values.enumerated() {
                raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: index * 4, as: UInt32.self)
            }
        }
        try write(bytes)
    }

    /// Replaces bytes already written at `offset` (used to patch a header once the row count is known).
    func patch(at offset: Int, with bytes: [UInt8]) throws {
        try flush()
        try bytes.withUnsafeBytes { try writeFully($0, at: offset) }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeFully($0, at: nil) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, forces the data to disk, optionally sets the mode, and closes.
    func finish(mode: mode_t?) throws {
        try flush()
        guard fsync(descriptor) == 0 else { throw failure() }
        if let mode, fchmod(descriptor, mode) != 0 { throw failure() }
        let result = close(descriptor)
        descriptor = -1
        guard result == 0 else { throw failure() }
    }

    /// Closes without flushing (the file is about to be removed).
    func abandon() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        buffer.removeAll()
    }

    private func writeFully(_ bytes: UnsafeRawBufferPointer, at offset: Int?) throws {
        if let error = writeAll(descriptor, bytes, at: offset) { throw failure(error) }
    }

    private func failure(_ code: Int32 = errno) -> ExportError {
        ExportError.failed(path: reportPath, reason: ExportError.systemReason(code), kept: keptOnFailure)
    }
}

// MARK: - Atomic file

/// A file export: written to a temporary file in the destination's folder and renamed over the
/// destination by `commit()`. Until then the destination is untouched; `discard()` (or dropping the
/// value) removes the temporary file.
public final class AtomicFile {
    public let path: String
    /// Where the bytes go until `commit()`.
    public let temporaryPath: String
    private let destination: Destination
    private let overwrite: Bool
    private var file: OutputFile?

    /// Fails at once when `path` exists and `overwrite` is false, when its folder is missing, or when the
    /// folder cannot be written.
    public init(path: String, overwrite: Bool) throws {
        destination = Destination(path)
        try destination.validate(overwrite: overwrite, wantsFolder: false)
        self.path = path
        self.overwrite = overwrite
        var candidate = destination.siblingName("tmp")
        var created = try OutputFile(creating: candidate, reportPath: path, keptOnFailure: destination.exists)
        while created == nil {
            candidate = destination.siblingName("tmp")
            created = try OutputFile(creating: candidate, reportPath: path, keptOnFailure: destination.exists)
        }
        temporaryPath = candidate
        file = created
    }

    deinit { discard() }

    /// The buffered file behind it, for writers that need more than text (the .npy rows).
    var output: OutputFile {
        guard let file else { preconditionFailure("write to \(path) after commit or discard") }
        return file
    }

    public func write(_ text: String) throws { try output.write(text) }

    /// Flushes to disk and moves the file into place: renames over the old file when replacing is
    /// allowed, otherwise links it in, which fails rather than replace a file that appeared meanwhile.
    public func commit() throws {
        guard let file else { return }
        self.file = nil
        do {
            try file.finish(mode: destination.existingMode)
            try Self.move(temporaryPath, to: path, replacing: overwrite, kept: destination.exists)
        } catch {
            unlink(temporaryPath)
            throw error
        }
        syncFolder(destination.folder)
    }

    /// Removes the temporary file; the destination stays as it was.
    public func discard() {
        guard let file else { return }
        self.file = nil
        file.abandon()
        unlink(temporaryPath)
    }

    static func move(_ source: String, to target: String, replacing: Bool, kept: Bool) throws {
        if replacing {
            guard rename(source, target) == 0 else {
                throw ExportError.failed(path: target, reason: ExportError.systemReason(), kept: kept)
            }
            return
        }
        if link(source, target) == 0 {
            unlink(source)
            return
        }
        let code = errno
        if code == EEXIST { throw ExportError.exists(path: target) }
        // Some file systems have no hard links: check, then rename (a small window, but no data lost).
        if access(target, F_OK) == 0 { throw ExportError.exists(path: target) }
        guard rename(source, target) == 0 else {
            throw ExportError.failed(path: target, reason: ExportError.systemReason(), kept: kept)
        }
    }
}

// MARK: - Atomic folder

/// A folder export (the Projector's three files): built as a hidden temporary folder beside the
/// destination and renamed into place by `commit()`. An existing empty folder is simply replaced; a
/// non-empty one only with `overwrite`, by moving it aside first and deleting it once the new one is in.
public final class AtomicFolder {
    public let path: String
    public let temporaryPath: String
    private let destination: Destination
    private let overwrite: Bool
    private var files = [OutputFile]()
    private var isOpen = true

    public init(path: String, overwrite: Bool) throws {
        destination = Destination(path)
        try destination.validate(overwrite: overwrite, wantsFolder: true)
        self.path = path
        self.overwrite = overwrite
        var candidate = destination.siblingName("tmp")
        var attempts = 0
        while mkdir(candidate, 0o777) != 0 {
            attempts += 1
            guard errno == EEXIST, attempts < 8 else {
                throw ExportError.failed(path: path, reason: ExportError.systemReason(), kept: destination.exists)
            }
            candidate = destination.siblingName("tmp")
        }
        temporaryPath = candidate
    }

    deinit { discard() }

    /// Creates a file inside the temporary folder.
    func file(named name: String) throws -> OutputFile {
        guard let file = try OutputFile(creating: temporaryPath + "/" + name, reportPath: path + "/" + name, keptOnFailure: destination.exists) else {
            throw ExportError.failed(path: path + "/" + name, reason: "created twice", kept: destination.exists)
        }
        files.append(file)
        return file
    }

    public func commit() throws {
        guard isOpen else { return }
        isOpen = false
        do {
            for file in files { try file.finish(mode: nil) }
            files.removeAll()
            syncFolder(temporaryPath)
            try replaceDestination()
        } catch {
            removeTree(temporaryPath)
            throw error
        }
        syncFolder(destination.folder)
    }

    public func discard() {
        guard isOpen else { return }
        isOpen = false
        for file in files { file.abandon() }
        files.removeAll()
        removeTree(temporaryPath)
    }

    private func replaceDestination() throws {
        let fresh = Destination(path)
        // rename(2) replaces an empty folder by itself.
        if !fresh.exists || (fresh.isFolder && Destination.isEmptyFolder(path)) {
            guard rename(temporaryPath, path) == 0 else {
                throw ExportError.failed(path: path, reason: ExportError.systemReason(), kept: fresh.exists)
            }
            return
        }
        guard overwrite else { throw ExportError.exists(path: path) }
        guard fresh.isFolder else { throw ExportError.wrongKind(path: path, expected: "a folder") }
        // Move the old folder onto a fresh empty placeholder, put the new one in, then delete the old one.
        let aside = destination.siblingName("old")
        guard mkdir(aside, 0o700) == 0, rename(path, aside) == 0 else {
            let reason = ExportError.systemReason()
            rmdir(aside)
            throw ExportError.failed(path: path, reason: reason, kept: true)
        }
        guard rename(temporaryPath, path) == 0 else {
            let reason = ExportError.systemReason()
            rename(aside, path)
            throw ExportError.failed(path: path, reason: reason, kept: true)
        }
        removeTree(aside)
    }
}
