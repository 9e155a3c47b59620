import BertEngine
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file of a model repository to pull.
public struct HubFile: Sendable, Equatable {
    public var name: String
    /// A 404 for a required file is an error; an optional one is skipped.
    public var required: Bool

    public init(_ name: String, required: Bool) {
        self.name = name
        self.required = required
    }
}

/// How patient a pull is.
public struct PullOptions: Sendable {
    /// Seconds without a byte from the server before a request is given up (and retried).
    public var timeout: TimeInterval
    /// Further attempts after a timeout or a broken connection; each resumes where the last stopped.
    public var retries: Int
    /// Seconds before the first retry; later ones wait longer.
    public var retryDelay: TimeInterval

    public init(timeout: TimeInterval = 30, retries: Int = 3, retryDelay: TimeInterval = 1) {
        self.timeout = timeout
        self.retries = retries
        self.retryDelay = retryDelay
    }
}

/// What a pull is doing, for a progress display. Delivered on the thread that called `pull`.
public enum PullEvent: Sendable, Equatable {
    /// HF_HUB_OFFLINE is set and the cache already has the model: nothing is downloaded.
    case offlineCacheHit(HubSnapshot)
    /// The Hub answered for every file: what will be downloaded and what is cached already.
    case planned(commit: String, files: [PlannedFile])
    case fileCached(String, bytes: Int64)
    case optionalFileMissing(String)
    /// Another process is downloading the same file; this one waits for it.
    case waitingForLock(String)
    case downloadStarted(String, totalBytes: Int64?, resumingAt: Int64)
    case downloadProgress(String, receivedBytes: Int64, totalBytes: Int64?)
    /// The whole file is being hashed to compare with the sha256 the Hub gave.
    case verifying(String)
    case downloadFinished(String, bytes: Int64, sha256Verified: Bool)
    case retrying(String, attempt: Int, of: Int, reason: String)
}

/// A file the Hub has, as planned before downloading.
public struct PlannedFile: Sendable, Equatable {
    public var name: String
    public var sizeBytes: Int64?
    /// Its blob is in the cache already.
    public var cached: Bool
}

/// Where a pull left the model.
public struct PullResult: Sendable, Equatable {
    public var snapshot: HubSnapshot
    /// Bytes that came over the network in this pull.
    public var downloadedBytes: Int64
    /// Nothing was downloaded because HF_HUB_OFFLINE is set and the cache had everything.
    public var offline: Bool
}

/// Downloads a repository's files from `{endpoint}/{repo}/resolve/{revision}/{file}` into the Hugging Face
/// cache layout, as `huggingface_hub` does: a HEAD per file for its commit, ETag and size (LFS files answer
/// with a redirect to a CDN and carry their sha256 in X-Linked-Etag); then each missing blob is downloaded to
/// `blobs/ETAG.incomplete` (resumed with `Range` when it exists), checked (size; sha256 for LFS files, the
/// git blob sha1 for others), renamed to `blobs/ETAG`, and linked from `snapshots/COMMIT/FILE`. `refs/REVISION`
/// is written last. Every header that becomes a path is checked (`CacheNames`) before anything is written.
public struct HubDownloader: Sendable {
    public var environment: StoreEnvironment
    public var options: PullOptions

    public init(environment: StoreEnvironment = StoreEnvironment(), options: PullOptions = PullOptions()) {
        self.environment = environment
        self.options = options
    }

    /// Pulls `files`, or, without `files`, what the repository's file listing has of the files bertscope
    /// reads (`RepositoryListing`), the shards of an index of shards included.
    public func pull(_ reference: RepoReference, files: [HubFile]? = nil,
                     progress: (PullEvent) -> Void = { _ in }) throws -> PullResult {
        let cache = HubCache(root: environment.hubCache)
        // What the user asked for becomes paths too (refs/REVISION, snapshots/COMMIT/FILE): refused before
        // anything is asked or written.
        if !reference.revisionIsCommit { _ = try cache.refFile(reference) }
        for file in files ?? [] { _ = try CacheNames.relativePath(file.name, from: "the file name") }
        if environment.offline {
            if let snapshot = cache.snapshot(for: reference), try isComplete(snapshot, files: files, cache: cache) {
                progress(.offlineCacheHit(snapshot))
                return PullResult(snapshot: snapshot, downloadedBytes: 0, offline: true)
            }
            throw ModelStoreError.offline(reference, hubCache: environment.hubCache.path)
        }
        let endpoint = environment.endpoint
        guard ["http", "https"].contains(endpoint.scheme?.lowercased() ?? ""), endpoint.host?.isEmpty == false else {
            throw ModelStoreError.invalidEndpoint(endpoint.absoluteString)
        }
        let http = HTTPSession(idleTimeout: options.timeout)

        var commit: String? = reference.revisionIsCommit ? reference.revision : nil
        let listing = files == nil ? try list(reference, http: http, progress: progress) : nil
        commit = listing?.commit ?? commit
        let wanted = try files ?? listing!.selection(for: reference)
        var (snapshot, downloaded) = try transfer(wanted, reference: reference, commit: commit, cache: cache, http: http, progress: progress)
        if let listing, wanted.contains(where: { $0.name == "model.safetensors.index.json" }) {
            let index = try cache.snapshotFile(reference, commit: snapshot.commit, file: "model.safetensors.index.json")
            let shards = try listing.shards(ofIndex: index, reference: reference)
            downloaded += try transfer(shards, reference: reference, commit: snapshot.commit, cache: cache, http: http, progress: progress).downloaded
        }

        // Point the revision at the commit, now that the snapshot is complete.
        if !reference.revisionIsCommit {
            let ref = try cache.refFile(reference)
            do {
                try FileManager.default.createDirectory(at: ref.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(snapshot.commit.utf8).write(to: ref, options: .atomic)
            } catch {
                throw ModelStoreError.fileSystem(path: ref.path, reason: error.localizedDescription)
            }
        }
        return PullResult(snapshot: snapshot, downloadedBytes: downloaded, offline: false)
    }

    /// The cached snapshot has the required `files`, or (without `files`) what running the encoder needs.
    private func isComplete(_ snapshot: HubSnapshot, files: [HubFile]?, cache: HubCache) throws -> Bool {
        guard let files else { return ModelRequirement.weights.isMet(in: snapshot.folder) }
        return try files.filter(\.required).allSatisfy {
            FileManager.default.fileExists(atPath: try cache.snapshotFile(snapshot.reference, commit: snapshot.commit, file: $0.name).path)
        }
    }

    /// The repository's file listing from the Hub's API; its body is small (names only), so more than 16 MB is refused.
    private func list(_ reference: RepoReference, http: HTTPSession, progress: (PullEvent) -> Void) throws -> RepositoryListing {
        let url = RepositoryListing.url(endpoint: environment.endpoint, reference: reference)
        let name = "the file listing"
        let body = ListingBody(limit: 16 << 20)
        let head: HTTPHead
        do {
            head = try withRetries(name, progress) {
                body.reset()
                let head = try http.get(url, headers: headers(for: url), receive: { _, data in try body.append(data) }, tick: {})
                if head.status >= 500 { throw TransferFailure.broken("HTTP \(head.status) from \(head.url.host ?? "the server")") }
                return head
            }
        } catch let failure as TransferFailure {
            throw error(failure, file: name, partial: nil)
        }
        switch head.status {
        case 200..<300:
            return try RepositoryListing(json: body.data, source: url.absoluteString)
        case 401, 403:
            try throwRepositoryErrors(head, reference: reference)
            throw ModelStoreError.unauthorized(reference, status: head.status, gated: head["x-error-code"] == "GatedRepo",
                                               tokenSent: environment.token != nil)
        case 404:
            try throwRepositoryErrors(head, reference: reference)
            throw ModelStoreError.notAHub(url: url.absoluteString, missing: "file listing at /api/models (the Hub API)")
        default:
            throw ModelStoreError.httpStatus(file: name, status: head.status, url: url.absoluteString)
        }
    }

    /// Asks for every file first (the commit to pin, and what there is to download), then downloads what is
    /// missing, in order.
    private func transfer(_ files: [HubFile], reference: RepoReference, commit pinnedCommit: String?, cache: HubCache, http: HTTPSession,
                          progress: (PullEvent) -> Void) throws -> (snapshot: HubSnapshot, downloaded: Int64) {
        var commit = pinnedCommit
        var found = [FileMetadata]()
        var missing = [String]()
        for file in files {
            let pinned = RepoReference(repo: reference.repo, revision: commit ?? reference.revision)
            let url = pinned.resolveURL(endpoint: environment.endpoint, file: file.name)
            let head: HTTPHead
            do {
                head = try withRetries(file.name, progress) { try http.head(url, headers: headers(for: url)) }
            } catch let failure as TransferFailure {
                throw error(failure, file: file.name, partial: nil)
            }
            switch try classify(head, file: file, reference: reference, url: url) {
            case .found(let metadata):
                commit = commit ?? metadata.commit
                found.append(metadata)
            case .missing:
                missing.append(file.name)
            }
        }
        guard let commit else { throw ModelStoreError.notAHub(url: environment.endpoint.absoluteString, missing: "X-Repo-Commit header") }
        let snapshot = HubSnapshot(reference: reference, commit: commit, folder: try cache.snapshotFolder(reference, commit: commit))
        let pinned = RepoReference(repo: reference.repo, revision: commit)
        // Download from the commit too, so a push during the pull cannot mix two revisions.
        for index in found.indices where found[index].downloadURL == reference.resolveURL(endpoint: environment.endpoint, file: found[index].file.name) {
            found[index].downloadURL = pinned.resolveURL(endpoint: environment.endpoint, file: found[index].file.name)
        }
        progress(.planned(commit: commit, files: try found.map {
            PlannedFile(name: $0.file.name, sizeBytes: $0.size, cached: blobIsComplete(try cache.blobFile(reference, etag: $0.etag), size: $0.size))
        }))
        for name in missing { progress(.optionalFileMissing(name)) }

        var downloaded: Int64 = 0
        for metadata in found {
            downloaded += try fetch(metadata, reference: reference, commit: commit, cache: cache, http: http, progress: progress)
            if metadata.file.name == "config.json" {
                do {
                    _ = try BertConfig.load(try cache.snapshotFile(reference, commit: commit, file: "config.json"))
                } catch let engineError as EngineError {
                    if case .invalidConfig(_, let reason) = engineError { throw ModelStoreError.notABertModel(reference, reason: reason) }
                    throw ModelStoreError.notABertModel(reference, reason: engineError.description)
                }
            }
        }
        for name in missing {
            // As huggingface_hub does, so neither asks the Hub again for a file it does not have.
            let marker = try cache.noExistMarker(reference, commit: commit, file: name)
            try? FileManager.default.createDirectory(at: marker.deletingLastPathComponent(), withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: marker.path, contents: Data())
        }
        return (snapshot, downloaded)
    }

    // MARK: Metadata

    struct FileMetadata {
        var file: HubFile
        var commit: String
        /// The blob's name: the sha256 for LFS files, the git blob hash otherwise.
        var etag: String
        var size: Int64
        var downloadURL: URL
        var isLFS: Bool { CacheNames.isSHA256(etag) }
    }

    enum HeadOutcome { case found(FileMetadata), missing }

    func classify(_ head: HTTPHead, file: HubFile, reference: RepoReference, url: URL) throws -> HeadOutcome {
        switch head.status {
        case 200..<400:
            guard let commit = head["x-repo-commit"], !commit.isEmpty else {
                throw ModelStoreError.notAHub(url: url.absoluteString, missing: "X-Repo-Commit header")
            }
            let etagHeader = head["x-linked-etag"] != nil ? "X-Linked-Etag" : "ETag"
            guard let etag = head[etagHeader].map(HubDownloader.normalizedETag), !etag.isEmpty else {
                throw ModelStoreError.notAHub(url: url.absoluteString, missing: "ETag header")
            }
            let redirected = head.status >= 300
            // A redirect's Content-Length is its own body's, not the file's. Without a size a download could
            // not be checked, nor an endless body stopped.
            let sizeHeader = head["x-linked-size"] != nil || redirected ? "X-Linked-Size" : "Content-Length"
            guard let size = head[sizeHeader].flatMap({ Int64($0) }), size >= 0 else {
                throw ModelStoreError.notAHub(url: url.absoluteString, missing: "\(sizeHeader) header")
            }
            var downloadURL = head.url
            if redirected, let location = head["location"], let target = URL(string: location, relativeTo: head.url) {
                downloadURL = target.absoluteURL
                if let refusal = HTTPSession.refusal(redirectingTo: downloadURL, hops: 0) {
                    throw ModelStoreError.refusedRedirect(file: file.name, reason: refusal)
                }
            }
            return .found(FileMetadata(file: file, commit: try CacheNames.commit(commit, from: "the server's X-Repo-Commit header"),
                                       etag: try CacheNames.blob(etag, from: "the server's \(etagHeader) header"),
                                       size: size, downloadURL: downloadURL))
        case 404:
            try throwRepositoryErrors(head, reference: reference)
            if file.required { throw ModelStoreError.fileNotFound(reference, file: file.name) }
            return .missing
        case 401, 403:
            try throwRepositoryErrors(head, reference: reference)
            throw ModelStoreError.unauthorized(reference, status: head.status, gated: head["x-error-code"] == "GatedRepo",
                                               tokenSent: environment.token != nil)
        case 500...:
            throw TransferFailure.broken("HTTP \(head.status) from \(head.url.host ?? "the server")")
        default:
            throw ModelStoreError.httpStatus(file: file.name, status: head.status, url: url.absoluteString)
        }
    }

    private func throwRepositoryErrors(_ head: HTTPHead, reference: RepoReference) throws {
        switch head["x-error-code"] {
        case "RepoNotFound":
            throw ModelStoreError.repositoryNotFound(reference, endpoint: environment.endpoint.absoluteString, tokenSent: environment.token != nil)
        case "RevisionNotFound":
            throw ModelStoreError.revisionNotFound(reference)
        default:
            break
        }
    }

    /// `W/"abc"` and `"abc"` both name blob `abc`.
    static func normalizedETag(_ value: String) -> String {
        var text = Substring(value.trimmingCharacters(in: .whitespaces))
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        return text.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    /// The token goes to the endpoint only, never to the CDN a file redirects to.
    private func headers(for url: URL) -> [String: String] {
        var headers = ["Accept-Encoding": "identity"]
        if let token = environment.token, url.host == environment.endpoint.host, url.port == environment.endpoint.port {
            headers["Authorization"] = "Bearer \(token)"
        }
        return headers
    }

    // MARK: Downloading one file

    /// Makes `snapshots/COMMIT/FILE` point at the file's blob, downloading the blob if needed; returns the
    /// bytes that came over the network.
    private func fetch(_ metadata: FileMetadata, reference: RepoReference, commit: String, cache: HubCache, http: HTTPSession,
                       progress: (PullEvent) -> Void) throws -> Int64 {
        let name = metadata.file.name
        let blob = try cache.blobFile(reference, etag: metadata.etag)
        var downloaded: Int64 = 0
        if blobIsComplete(blob, size: metadata.size) {
            progress(.fileCached(name, bytes: fileSize(blob.path) ?? 0))
        } else {
            try makeFolder(blob.deletingLastPathComponent())
            let lock = try FileLock(try cache.lockFile(reference, etag: metadata.etag)) { progress(.waitingForLock(name)) }
            defer { lock.release() }
            if blobIsComplete(blob, size: metadata.size) {
                progress(.fileCached(name, bytes: fileSize(blob.path) ?? 0))
            } else {
                let partial = URL(fileURLWithPath: blob.path + ".incomplete")
                let kept = fileSize(partial.path) ?? 0
                do {
                    try withRetries(name, progress) { try downloadOnce(metadata, to: partial, http: http, progress: progress) }
                } catch let failure as TransferFailure {
                    throw error(failure, file: name, partial: (partial, metadata.size))
                }
                downloaded = max(0, (fileSize(partial.path) ?? 0) - kept)
                try verify(metadata, partial: partial, progress: progress)
                guard rename(partial.path, blob.path) == 0 else {
                    throw ModelStoreError.fileSystem(path: blob.path, reason: String(cString: strerror(errno)))
                }
            }
        }
        try link(try cache.snapshotFile(reference, commit: commit, file: name), to: try cache.blobLink(file: name, etag: metadata.etag))
        return downloaded
    }

    /// One GET of the rest of a file into `partial`. Throws `TransferFailure` for what a retry may fix.
    private func downloadOnce(_ metadata: FileMetadata, to partial: URL, http: HTTPSession, progress: (PullEvent) -> Void) throws {
        let name = metadata.file.name
        var offset = fileSize(partial.path) ?? 0
        if offset > metadata.size {
            try? FileManager.default.removeItem(at: partial)
            offset = 0
        }
        if offset == 0 { _ = FileManager.default.createFile(atPath: partial.path, contents: Data()) }
        if offset == metadata.size { return }  // complete already; verify decides
        progress(.downloadStarted(name, totalBytes: metadata.size, resumingAt: offset))

        let sink = try DownloadSink(partial, offset: offset, limit: metadata.size)
        var requestHeaders = headers(for: metadata.downloadURL)
        if offset > 0 { requestHeaders["Range"] = "bytes=\(offset)-" }
        let head: HTTPHead
        do {
            head = try http.get(metadata.downloadURL, headers: requestHeaders, receive: { head, data in try sink.write(data, head: head) }) {
                progress(.downloadProgress(name, receivedBytes: sink.position, totalBytes: metadata.size))
            }
        } catch {
            sink.close()
            // A server that sends more than it announced is not to be trusted with the bytes it sent either.
            if case TransferFailure.tooLong = error { try? FileManager.default.removeItem(at: partial) }
            throw error
        }
        sink.close()
        switch head.status {
        case 200, 206:
            break
        case 416:
            try? FileManager.default.removeItem(at: partial)  // the kept bytes do not fit this file; start over
            throw TransferFailure.broken("the server refused to resume (HTTP 416)")
        case 500...:
            throw TransferFailure.broken("HTTP \(head.status) from \(head.url.host ?? "the server")")
        default:
            throw ModelStoreError.httpStatus(file: name, status: head.status, url: metadata.downloadURL.absoluteString)
        }
        let total = fileSize(partial.path) ?? 0
        if total < metadata.size {
            throw TransferFailure.broken("the connection ended after \(total) of \(metadata.size) bytes")
        }
    }

    /// Size, and the hash the blob is named by (sha256 for LFS files, the git blob sha1 otherwise); a file that
    /// fails is deleted, never renamed into place.
    private func verify(_ metadata: FileMetadata, partial: URL, progress: (PullEvent) -> Void) throws {
        let name = metadata.file.name
        let total = fileSize(partial.path) ?? 0
        if total != metadata.size {
            try? FileManager.default.removeItem(at: partial)
            throw ModelStoreError.sizeMismatch(file: name, expected: metadata.size, actual: total)
        }
        if metadata.isLFS { progress(.verifying(name)) }
        let actual = try metadata.isLFS ? SHA256.hex(ofFile: partial) : GitBlobSHA1.hex(ofFile: partial)
        if actual != metadata.etag {
            try? FileManager.default.removeItem(at: partial)
            throw ModelStoreError.checksumMismatch(file: name, expected: metadata.etag, actual: actual)
        }
        progress(.downloadFinished(name, bytes: total, sha256Verified: metadata.isLFS))
    }

    // MARK: Helpers

    private func withRetries<T>(_ name: String, _ progress: (PullEvent) -> Void, _ body: () throws -> T) throws -> T {
        var attempt = 0
        while true {
            do {
                return try body()
            } catch let failure as TransferFailure {
                guard failure.isRetryable, attempt < options.retries else { throw failure }
                attempt += 1
                progress(.retrying(name, attempt: attempt, of: options.retries, reason: failure.summary))
                Thread.sleep(forTimeInterval: options.retryDelay * Double(attempt))
            }
        }
    }

    private func error(_ failure: TransferFailure, file: String, partial: (url: URL, size: Int64)?) -> ModelStoreError {
        var note = ""
        if let partial, let kept = fileSize(partial.url.path), kept > 0 {
            note = " after \(kept) of \(partial.size) bytes, which are kept"
        }
        switch failure {
        case .timedOut(let host, _): return .timedOut(file: file, host: host, seconds: options.timeout, progress: note)
        case .unreachable(let host, let reason): return .unreachable(host: host, reason: reason)
        case .broken(let reason): return .interrupted(file: file, reason: reason, progress: note)
        case .sink(let error): return .fileSystem(path: partial?.url.path ?? file, reason: error.localizedDescription)
        case .refusedRedirect(let reason): return .refusedRedirect(file: file, reason: reason)
        case .tooLong(let host, let announced): return .tooLong(file: file, host: host, announced: announced)
        }
    }

    private func blobIsComplete(_ blob: URL, size: Int64) -> Bool {
        fileSize(blob.path) == size
    }

    /// `snapshots/COMMIT/FILE` -> `../../blobs/ETAG`, swapped in atomically.
    private func link(_ target: URL, to destination: String) throws {
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: target.path)) == destination { return }
        try makeFolder(target.deletingLastPathComponent())
        let temporary = target.path + ".tmp-\(getpid())"
        try? FileManager.default.removeItem(atPath: temporary)
        do {
            try FileManager.default.createSymbolicLink(atPath: temporary, withDestinationPath: destination)
        } catch {
            throw ModelStoreError.fileSystem(path: temporary, reason: error.localizedDescription)
        }
        guard rename(temporary, target.path) == 0 else {
            throw ModelStoreError.fileSystem(path: target.path, reason: String(cString: strerror(errno)))
        }
    }
}

extension TransferFailure {
    var isRetryable: Bool {
        switch self {
        case .timedOut, .broken: return true
        case .unreachable, .sink, .refusedRedirect, .tooLong: return false
        }
    }

    var summary: String {
        switch self {
        case .timedOut(let host, _): return "\(host) stopped sending"
        case .unreachable(let host, let reason): return "cannot reach \(host): \(reason)"
        case .broken(let reason): return reason
        case .sink(let error): return error.localizedDescription
        case .refusedRedirect(let reason): return reason
        case .tooLong(let host, let announced): return "\(host) sent more than the \(announced) bytes it announced"
        }
    }
}

/// Appends a response body to a `.incomplete` file. The first chunk decides how: a 206 continues at the
/// kept offset, a 200 (the server ignored Range) starts the file over.
private final class DownloadSink: @unchecked Sendable {
    private let lock = NSLock()
    private let url: URL
    private let offset: Int64
    private var handle: FileHandle?
    private var started = false
    private var written: Int64 = 0
    private var base: Int64
    /// The announced size: a body that would make the file longer is stopped, so an endless one ends.
    private let limit: Int64

    init(_ url: URL, offset: Int64, limit: Int64) throws {
        self.url = url
        self.offset = offset
        self.limit = limit
        base = offset
    }

    /// Bytes of the file now on disk.
    var position: Int64 { lock.withLock { base + written } }

    func write(_ data: Data, head: HTTPHead) throws {
        try lock.withLock {
            if !started {
                started = true
                if head.status == 206 {
                    let start = head["content-range"].flatMap(DownloadSink.rangeStart)
                    guard start == offset else {
                        try? FileManager.default.removeItem(at: url)
                        throw TransferFailure.broken("the server resumed at byte \(start.map(String.init) ?? "?") instead of \(offset)")
                    }
                } else {
                    base = 0
                    _ = FileManager.default.createFile(atPath: url.path, contents: Data())
                }
                let handle = try FileHandle(forWritingTo: url)
                try handle.seekToEnd()
                self.handle = handle
            }
            guard base + written + Int64(data.count) <= limit else {
                throw TransferFailure.tooLong(host: head.url.host ?? "the server", announced: limit)
            }
            try handle?.write(contentsOf: data)
            written += Int64(data.count)
        }
    }

    func close() { lock.withLock { try? handle?.close(); handle = nil } }

    /// `bytes 100-199/1000` -> 100.
    static func rangeStart(_ header: String) -> Int64? {
        guard let range = header.split(separator: " ").last, let dash = range.firstIndex(of: "-") else { return nil }
        return Int64(range[..<dash])
    }
}

/// An exclusive `flock` on a lock file, so two pulls of the same blob do not write one `.incomplete` file.
private final class FileLock {
    private var descriptor: Int32

    init(_ url: URL, onWait: () -> Void) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        descriptor = open(url.path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ModelStoreError.fileSystem(path: url.path, reason: String(cString: strerror(errno))) }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            onWait()
            guard flock(descriptor, LOCK_EX) == 0 else {
                close(descriptor)
                throw ModelStoreError.fileSystem(path: url.path, reason: String(cString: strerror(errno)))
            }
        }
    }

    func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}

func makeFolder(_ url: URL) throws {
    do {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    } catch {
        throw ModelStoreError.fileSystem(path: url.path, reason: error.localizedDescription)
    }
}

/// The body of an API answer, gathered from the session's queue; more than `limit` bytes is refused.
final class ListingBody: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes = Data()
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    var data: Data { lock.withLock { bytes } }

    func reset() { lock.withLock { bytes = Data() } }

    func append(_ data: Data) throws {
        try lock.withLock {
            guard bytes.count + data.count <= limit else { throw TransferFailure.tooLong(host: "the Hub", announced: Int64(limit)) }
            bytes.append(data)
        }
    }
}
