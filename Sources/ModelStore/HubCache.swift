import Foundation

/// The Hugging Face hub cache as `huggingface_hub` lays it out, so transformers and bertscope share downloads:
///
///     models--ORG--NAME/
///       blobs/ETAG                      file contents, named by the Hub's ETag (sha256 for LFS files)
///       snapshots/COMMIT/FILE           relative symlinks into ../../blobs
///       refs/REVISION                   the commit hash a branch or tag pointed to when last pulled
///       .no_exist/COMMIT/FILE           empty markers: the Hub answered 404 for FILE at COMMIT
public struct HubCache: Sendable {
    public var root: URL

    public init(root: URL) { self.root = root }

    public func repoFolder(_ reference: RepoReference) -> URL {
        root.appendingPathComponent(reference.cacheFolderName, isDirectory: true)
    }

    /// Every path below a repository's folder is built here, from names `CacheNames` let through, so none
    /// leads out of the cache whatever a server answered.
    public func snapshotFolder(_ reference: RepoReference, commit: String) throws -> URL {
        repoFolder(reference).appendingPathComponent("snapshots/\(try CacheNames.commit(commit, from: "the commit"))", isDirectory: true)
    }

    /// `snapshots/COMMIT/FILE`.
    func snapshotFile(_ reference: RepoReference, commit: String, file: String) throws -> URL {
        try snapshotFolder(reference, commit: commit).appendingPathComponent(try CacheNames.relativePath(file, from: "the file name"))
    }

    func blobsFolder(_ reference: RepoReference) -> URL {
        repoFolder(reference).appendingPathComponent("blobs", isDirectory: true)
    }

    /// `blobs/ETAG`.
    func blobFile(_ reference: RepoReference, etag: String) throws -> URL {
        blobsFolder(reference).appendingPathComponent(try CacheNames.blob(etag, from: "the blob name"))
    }

    /// What `snapshots/COMMIT/FILE` links to: `../../blobs/ETAG`, one `../` more per folder in FILE, relative as
    /// `huggingface_hub` makes it.
    func blobLink(file: String, etag: String) throws -> String {
        let depth = try CacheNames.relativePath(file, from: "the file name").split(separator: "/").count - 1
        return String(repeating: "../", count: 2 + depth) + "blobs/" + (try CacheNames.blob(etag, from: "the blob name"))
    }

    func refFile(_ reference: RepoReference) throws -> URL {
        repoFolder(reference).appendingPathComponent("refs/\(try CacheNames.relativePath(reference.revision, from: "the revision"))")
    }

    /// The lock `huggingface_hub` also takes around a blob download: `.locks/models--ORG--NAME/ETAG.lock`.
    func lockFile(_ reference: RepoReference, etag: String) throws -> URL {
        root.appendingPathComponent(".locks/\(reference.cacheFolderName)/\(try CacheNames.blob(etag, from: "the blob name")).lock")
    }

    func noExistMarker(_ reference: RepoReference, commit: String, file: String) throws -> URL {
        repoFolder(reference).appendingPathComponent(".no_exist/\(try CacheNames.commit(commit, from: "the commit"))/"
            + (try CacheNames.relativePath(file, from: "the file name")))
    }

    /// The commit a revision names: the revision itself when it is a hash, else what `refs/REVISION` says. A
    /// ref that does not hold a commit hash is not followed (it would name a folder outside `snapshots/`);
    /// the next pull rewrites it.
    public func commit(for reference: RepoReference) -> String? {
        if let ref = try? refFile(reference), let text = try? String(contentsOf: ref, encoding: .utf8) {
            let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if CacheNames.isCommitHash(commit) { return commit }
        }
        return reference.revisionIsCommit ? reference.revision : nil
    }

    /// The snapshot a reference names, if that snapshot folder exists.
    public func snapshot(for reference: RepoReference) -> HubSnapshot? {
        guard let commit = commit(for: reference), let folder = try? snapshotFolder(reference, commit: commit) else { return nil }
        guard directoryExists(folder) else { return nil }
        return HubSnapshot(reference: reference, commit: commit, folder: folder)
    }

    /// Repositories cached under `models--*` whose name is `NAME` or `ORG/NAME`, for a bare `--model NAME`.
    func repositories(named name: String) -> [String] {
        cachedRepositories().filter { $0 == name || $0.hasSuffix("/" + name) }
    }

    /// Every `models--*` repository id in the cache, sorted.
    func cachedRepositories() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.filter { $0.hasPrefix("models--") }
            .map { String($0.dropFirst("models--".count)).replacingOccurrences(of: "--", with: "/") }
            .sorted()
    }

    /// Every snapshot in the cache with what is known about it, for `bertscope models`.
    public func snapshots() -> [CachedSnapshot] {
        var result = [CachedSnapshot]()
        for repo in cachedRepositories() {
            let reference = RepoReference(repo: repo)
            let snapshotsFolder = repoFolder(reference).appendingPathComponent("snapshots", isDirectory: true)
            let commits = ((try? FileManager.default.contentsOfDirectory(atPath: snapshotsFolder.path)) ?? []).sorted()
            let refs = refNames(reference)
            for commit in commits where !commit.hasPrefix(".") {
                let folder = snapshotsFolder.appendingPathComponent(commit, isDirectory: true)
                let files = regularFiles(in: folder)
                var sizes = [String: Int64]()
                for file in files {
                    let path = folder.appendingPathComponent(file).path
                    // Blobs are shared between snapshots; count each one once per snapshot.
                    let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)).map { URL(fileURLWithPath: $0, relativeTo: folder).standardizedFileURL.path } ?? path
                    sizes[target] = fileSize(path) ?? 0
                }
                result.append(CachedSnapshot(
                    repo: repo, commit: commit, folder: folder,
                    refs: refs.filter { commitOfRef(reference, $0) == commit },
                    files: files, sizeBytes: sizes.values.reduce(0, +),
                    modelType: modelType(ofConfig: folder.appendingPathComponent("config.json"))))
            }
        }
        return result
    }

    private func refNames(_ reference: RepoReference) -> [String] {
        let refsFolder = repoFolder(reference).appendingPathComponent("refs", isDirectory: true)
        return regularFiles(in: refsFolder)
    }

    private func commitOfRef(_ reference: RepoReference, _ ref: String) -> String? {
        commit(for: RepoReference(repo: reference.repo, revision: ref))
    }
}

/// One snapshot of a repository found in the hub cache, with the reference that led to it.
public struct HubSnapshot: Sendable, Equatable {
    public var reference: RepoReference
    public var commit: String
    public var folder: URL
}

/// A snapshot folder listed from the hub cache.
public struct CachedSnapshot: Sendable, Equatable {
    public var repo: String
    public var commit: String
    public var folder: URL
    /// Branches and tags (`refs/…`) that point at this commit.
    public var refs: [String]
    /// Files, relative to the snapshot folder.
    public var files: [String]
    /// Bytes of the files' contents (the blobs they link to).
    public var sizeBytes: Int64
    /// `model_type` from config.json, if it has one.
    public var modelType: String?

    /// BERT encoders bertscope can run (`model_type` "bert").
    public var looksLikeBERT: Bool { modelType == "bert" }
}

// MARK: File helpers shared by the store

func directoryExists(_ url: URL) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
}

/// Size of a file, following symlinks; `nil` when it does not exist.
func fileSize(_ path: String) -> Int64? {
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: resolvingSymlinks(path)),
          let size = attributes[.size] as? NSNumber else { return nil }
    return size.int64Value
}

func resolvingSymlinks(_ path: String) -> String {
    URL(fileURLWithPath: path).resolvingSymlinksInPath().path
}

/// Paths of the files (or symlinks to files) below a folder, relative to it, sorted; hidden ones skipped.
func regularFiles(in folder: URL) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: folder.path) else { return [] }
    var files = [String]()
    while let relative = enumerator.nextObject() as? String {
        if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent(relative).path, isDirectory: &isDirectory), !isDirectory.boolValue {
            files.append(relative)
        }
    }
    return files.sorted()
}

func modelType(ofConfig url: URL) -> String? {
    guard let data = try? Data(contentsOf: url),
          let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
    return object["model_type"] as? String
}
