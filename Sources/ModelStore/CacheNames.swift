import Foundation

/// The one check for text that becomes part of a path in the Hugging Face cache: commits (`snapshots/COMMIT`,
/// the content of `refs/REVISION`), blob names (`blobs/ETAG`, `.locks/…/ETAG.lock`), revisions
/// (`refs/REVISION`) and file names (`snapshots/COMMIT/FILE`, `.no_exist/COMMIT/FILE`). Most of these come
/// from a server's headers, and a server can be anyone (a mirror, a proxy, a plain-http connection), so a value
/// that could climb out of the cache (`..`, a leading `/`), hide a separator (`\`, NUL) or is otherwise not
/// what the Hub sends is refused before anything is written. `HubCache` builds every path through these.
enum CacheNames {
    /// A commit hash: 40 lowercase hex digits.
    static func commit(_ value: String, from source: String) throws -> String {
        guard isCommitHash(value) else {
            throw ModelStoreError.unsafeName(source: source, value: value, expected: "a commit hash (40 lowercase hex digits)")
        }
        return value
    }

    /// A blob's name: the sha256 of an LFS file (64 lowercase hex digits) or a git blob sha1 (40).
    static func blob(_ value: String, from source: String) throws -> String {
        guard isSHA256(value) || isLowercaseHex(value, length: 40) else {
            throw ModelStoreError.unsafeName(source: source, value: value,
                                             expected: "a blob name (a sha256 of 64 or a git sha1 of 40 lowercase hex digits)")
        }
        return value
    }

    /// The longest relative path accepted, and the longest part of one (the usual file system limits).
    static let maximumPathLength = 1024
    static let maximumPartLength = 255

    /// A relative path that stays below the folder it is appended to: a revision (`refs/pr/1`) or a file
    /// name (`onnx/model.onnx`). Parts are separated by `/`; none is empty, `.` or `..`, none is longer than
    /// 255 bytes; no `\` and no control characters (NUL among them) anywhere.
    static func relativePath(_ value: String, from source: String) throws -> String {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        let safe = !value.isEmpty && value.utf8.count <= maximumPathLength
            && !value.unicodeScalars.contains { $0 == "\\" || $0.properties.generalCategory == .control }
            && parts.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." && $0.utf8.count <= maximumPartLength }
        guard safe else {
            throw ModelStoreError.unsafeName(source: source, value: value, expected: "a relative path that stays in the cache "
                + "(parts between / that are not empty, . or .., at most \(maximumPartLength) bytes; no \\ or control characters)")
        }
        return value
    }

    static func isCommitHash(_ value: String) -> Bool { isLowercaseHex(value, length: 40) }

    /// A blob name that is a sha256, i.e. an LFS file's.
    static func isSHA256(_ value: String) -> Bool { isLowercaseHex(value, length: 64) }

    private static func isLowercaseHex(_ value: String, length: Int) -> Bool {
        value.utf8.count == length && value.utf8.allSatisfy {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
        }
    }

    /// A value as an error shows it: control characters escaped, cut after 60 characters.
    static func readable(_ value: String) -> String {
        let escaped = value.unicodeScalars.map { $0.properties.generalCategory == .control ? $0.escaped(asASCII: true) : String($0) }
        let limit = 60
        guard escaped.count > limit else { return escaped.joined() }
        return escaped.prefix(limit).joined() + "… (\(value.unicodeScalars.count) characters)"
    }
}
