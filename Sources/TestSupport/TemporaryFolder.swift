import Foundation

/// A new empty folder under the system's temporary folder, named after `label` and made unique. The
/// caller removes it (`defer { try? FileManager.default.removeItem(at: folder) }`).
public func makeTemporaryFolder(_ label: String) throws -> URL {
    let cleaned = label.filter { $0.isLetter || $0.isNumber || $0 == "-" }
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("bertscope-\(cleaned)-\(UUID().uuidString.prefix(8))", isDirectory: true)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

/// Puts a copy of the executable `source` at `destination` so that it can be run at once. A hard link where the
/// two share a file system; otherwise a copy written through a descriptor opened close-on-exec. Foundation's
/// `copyItem` keeps a descriptor open for writing without close-on-exec: a process another test spawns at that
/// moment (a tmux server lives for minutes) inherits it, and executing the copy then fails with "Text file busy".
public func placeExecutable(_ source: URL, at destination: URL) throws {
    if (try? FileManager.default.linkItem(at: source, to: destination)) != nil { return }
    let bytes = try Data(contentsOf: source)
    let descriptor = open(destination.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o755)
    guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: destination.path]) }
    defer { close(descriptor) }
    try bytes.withUnsafeBytes { buffer in
        var written = 0
        while written < buffer.count {
            let count = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
            guard count > 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: destination.path]) }
            written += count
        }
    }
}
