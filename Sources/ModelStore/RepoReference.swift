import Foundation

/// A Hugging Face model repository at a revision: `google-bert/bert-base-multilingual-cased@main`.
public struct RepoReference: Sendable, Hashable, CustomStringConvertible {
    /// `ORG/NAME`, or a bare legacy `NAME` the Hub still redirects (`bert-base-multilingual-cased`).
    public var repo: String
    /// A branch, tag or commit hash.
    public var revision: String

    public static let defaultRevision = "main"

    public init(repo: String, revision: String = RepoReference.defaultRevision) {
        self.repo = repo
        self.revision = revision
    }

    /// Parses `REPO[@REVISION]`; `nil` when the text cannot be a Hub repository id.
    public init?(parsing text: String) {
        var repo = Substring(text)
        var revision = RepoReference.defaultRevision
        if let at = text.firstIndex(of: "@") {
            repo = text[..<at]
            revision = String(text[text.index(after: at)...])
            if revision.isEmpty { return nil }
        }
        guard RepoReference.isValidRepoId(repo) else { return nil }
        self.init(repo: String(repo), revision: revision)
    }

    /// Hub rules: one or two parts of letters, digits, `-`, `_`, `.`; no `--` or `..`; no leading or trailing `-`/`.`.
    static func isValidRepoId(_ text: Substring) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), text.count <= 96 else { return false }
        for part in parts {
            guard let first = part.first, let last = part.last else { return false }
            if "-.".contains(first) || "-.".contains(last) || part.contains("--") || part.contains("..") { return false }
            guard part.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0)) })
            else { return false }
        }
        return true
    }

    /// The revision is a full commit hash (40 hex digits), not a branch or tag.
    public var revisionIsCommit: Bool { RepoReference.isCommitHash(revision) }

    static func isCommitHash(_ text: String) -> Bool {
        CacheNames.isCommitHash(text)
    }

    /// The repository's folder in the hub cache: `models--ORG--NAME`.
    public var cacheFolderName: String { "models--" + repo.replacingOccurrences(of: "/", with: "--") }

    /// `REPO`, with `@REVISION` unless it is `main`.
    public var description: String { revision == RepoReference.defaultRevision ? repo : "\(repo)@\(revision)" }

    /// `{endpoint}/{repo}/resolve/{revision}/{file}`, the revision escaped as one path segment (`refs/pr/1`).
    public func resolveURL(endpoint: URL, file: String) -> URL {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/")
        let escapedRevision = revision.addingPercentEncoding(withAllowedCharacters: allowed) ?? revision
        let escapedFile = file.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? file
        return URL(string: "\(endpoint.absoluteString)/\(repo)/resolve/\(escapedRevision)/\(escapedFile)")!
    }
}
