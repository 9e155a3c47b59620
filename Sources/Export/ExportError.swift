#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an export could not be written, worded for the person who asked for it.
public enum ExportError: Error, Equatable, CustomStringConvertible {
    /// The destination exists and replacing it was not asked for.
    case exists(path: String)
    /// The folder the destination should go into is missing.
    case folderMissing(path: String, folder: String)
    /// A file is where a folder is wanted, or the other way round.
    case wrongKind(path: String, expected: String)
    /// The system refused a step; `reason` is its message, `kept` says whether an older file is still there.
    case failed(path: String, reason: String, kept: Bool)
    /// The records cannot go into one table.
    case invalidRecords(String)

    public var description: String {
        switch self {
        case .exists(let path):
            return "\(path) exists; pass --force to replace it"
        case .folderMissing(let path, let folder):
            return "cannot write \(path): the folder \(folder) does not exist"
        case .wrongKind(let path, let expected):
            return "cannot write \(path): it is not \(expected)"
        case .failed(let path, let reason, let kept):
            return "cannot write \(path): \(reason); " + (kept ? "the previous file is kept" : "nothing was written")
        case .invalidRecords(let reason):
            return reason
        }
    }

    /// The current `errno` as a sentence fragment ("No space left on device").
    static func systemReason(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }
}
