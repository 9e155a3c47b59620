import Foundation
@testable import ModelStore
import TestSupport
import Testing

/// `bertscope pull` against fake_hub.py answering like a hostile server (a mirror, a proxy or a plain-http
/// connection someone controls). Every case must end with a clear error within seconds, write nothing
/// outside the cache, put nothing under a final name, and leave the cache so an honest pull then succeeds.
///
/// The Hugging Face home is five folders down the sandbox (`l1/l2/l3/l4/l5/hf`); the traversal values climb
/// from the repository's `blobs` and `snapshots` folders to `l1/l2/escaped`, which is still in the sandbox,
/// so a pull that follows them writes where the test looks and never near the real file system's root.
@Suite("bertscope pull against a hostile server")
struct HostileHubTests {
    static let repo = "google-bert/tiny-modern"
    let fixture = TestPaths.fixtures.appendingPathComponent("engine/tiny-modern")
    /// The files pull asks for that the fixture has.
    static let files = ["config.json", "vocab.txt", "tokenizer_config.json", "model.safetensors"]

    func hubArguments(_ extra: [String] = []) -> [String] { ["--repo", "\(Self.repo)=\(fixture.path)"] + extra }

    func repoFolder(_ sandbox: Sandbox) -> URL { sandbox.hubCache.appendingPathComponent("models--google-bert--tiny-modern") }

    func escapeFolder(_ sandbox: Sandbox) -> URL { sandbox.root.appendingPathComponent("l1/l2/escaped", isDirectory: true) }

    /// `../../…/escaped/x-`: from `blobs/` or `snapshots/` (and from `.locks/models--…/`) to the escape folder.
    func climb(_ sandbox: Sandbox) -> String {
        let from = repoFolder(sandbox).appendingPathComponent("blobs").pathComponents.count
        let to = escapeFolder(sandbox).deletingLastPathComponent().pathComponents.count
        return String(repeating: "../", count: from - to) + "escaped/x-"
    }

    /// Pulls from a hub started with `arguments` into a fresh sandbox: the pull must fail within seconds with
    /// each of `expected` in its error (kept short), and leave the cache as `expectContained` says. Returns
    /// the sandbox and the error.
    @discardableResult
    func expectRefused(_ arguments: [String], saying expected: [String], attacked file: String?,
                       _ check: (Sandbox) -> Void = { _ in }) throws -> (sandbox: Sandbox, error: String) {
        let sandbox = try Sandbox(nestedHome: true)
        let hub = try FakeHub(hubArguments(arguments.map { $0.replacingOccurrences(of: "{climb}", with: climb(sandbox)) }), in: sandbox)
        let start = Date()
        let result = try Bertscope.run(["pull", Self.repo, "--retries", "0", "--timeout", "2"], environment: sandbox.environment(hub))
        // Seconds, not minutes: a pull that kept reading an endless body or waited on a silent server would take
        // far longer. The bound leaves room for a loaded CI machine (18.7 s seen with the whole suite running).
        #expect(Date().timeIntervalSince(start) < 60, "\(arguments)")
        #expect(result.status != 0, "\(arguments)")
        for text in expected {
            #expect(result.standardError.contains(text.replacingOccurrences(of: "{climb}", with: climb(sandbox))), "\(result.standardError.prefix(600))")
        }
        #expect(result.standardError.count < 600, "a long value is cut to a readable length: \(result.standardError.prefix(600))")
        check(sandbox)
        try expectContained(sandbox, attacked: file, "\(arguments)")
        return (sandbox, result.standardError)
    }

    /// Everything in the sandbox except the hub cache, the folders above it and the servers' logs.
    func strays(_ sandbox: Sandbox) -> [String] {
        let root = sandbox.root.path
        let cache = sandbox.hubCache.path
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        var strays = [String]()
        while let relative = enumerator.nextObject() as? String {
            let path = root + "/" + relative
            if path == cache || path.hasPrefix(cache + "/") || cache.hasPrefix(path + "/") { continue }
            if !relative.contains("/") && relative.hasPrefix("hub-requests-") { continue }
            strays.append(relative)
        }
        return strays
    }

    /// Snapshot entries (files and links) named `file`, in any snapshot folder.
    func snapshotEntries(_ sandbox: Sandbox, named file: String) -> [String] {
        let snapshots = repoFolder(sandbox).appendingPathComponent("snapshots")
        let commits = (try? FileManager.default.contentsOfDirectory(atPath: snapshots.path)) ?? []
        return commits.map { snapshots.appendingPathComponent("\($0)/\(file)").path }
            .filter { (try? FileManager.default.attributesOfItem(atPath: $0)) != nil }
    }

    /// Blobs under a final name (not `.incomplete`) that no snapshot links to: a file that was never checked.
    func unlinkedBlobs(_ sandbox: Sandbox) -> [String] {
        let blobs = repoFolder(sandbox).appendingPathComponent("blobs")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: blobs.path)) ?? []).filter { !$0.hasSuffix(".incomplete") }
        let linked = Set(Self.files.flatMap { snapshotEntries(sandbox, named: $0) }.compactMap {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: $0)).map { URL(fileURLWithPath: $0).lastPathComponent }
        })
        return names.filter { !linked.contains($0) }
    }

    /// What every hostile case leaves: nothing outside the cache, `file` (or, for nil, no file at all) not
    /// under its final name, no unchecked blob, no ref; and then an honest server's pull succeeds.
    func expectContained(_ sandbox: Sandbox, attacked file: String?, _ comment: Comment? = nil) throws {
        #expect(strays(sandbox).isEmpty, "written outside the cache: \(strays(sandbox)) \(comment?.description ?? "")")
        #expect(!fileExists(escapeFolder(sandbox)))
        for name in file.map({ [$0] }) ?? Self.files {
            #expect(snapshotEntries(sandbox, named: name).isEmpty, "\(name) is in a snapshot")
        }
        #expect(unlinkedBlobs(sandbox).isEmpty, "blobs nothing links to: \(unlinkedBlobs(sandbox))")
        #expect(!fileExists(repoFolder(sandbox).appendingPathComponent("refs/main")), "the revision is not recorded")

        let honest = try FakeHub(hubArguments(), in: sandbox)
        let result = try Bertscope.run(["pull", Self.repo], environment: sandbox.environment(honest))
        #expect(result.status == 0, "the honest pull afterwards: \(result.standardError)")
        let snapshot = URL(fileURLWithPath: result.standardOutput.trimmingCharacters(in: .newlines))
        #expect(snapshot.path.hasPrefix(repoFolder(sandbox).appendingPathComponent("snapshots").path + "/"))
        for name in Self.files {
            #expect(try Data(contentsOf: snapshot.appendingPathComponent(name)) == Data(contentsOf: fixture.appendingPathComponent(name)), "\(name)")
        }
        #expect(strays(sandbox).isEmpty)
    }

    // MARK: Values that would become paths

    @Test("a header that climbs out of the cache is refused, naming the header, and nothing is written",
          arguments: [
            (["--header", "config.json:ETag:\"{climb}{file}\""], ["the server's ETag header \"{climb}", "is not a blob name"]),
            (["--header", "model.safetensors:X-Linked-Etag:\"{climb}{file}\""], ["the server's X-Linked-Etag header \"{climb}", "is not a blob name"]),
            (["--header", "*:X-Repo-Commit:{climb}commit"], ["the server's X-Repo-Commit header \"{climb}", "is not a commit hash (40 lowercase hex digits)"]),
          ])
    func headerTraversal(arguments: [String], expected: [String]) throws {
        try expectRefused(arguments, saying: expected + ["it was refused and nothing was written"], attacked: nil) { sandbox in
            #expect(!fileExists(repoFolder(sandbox)), "nothing is written, not even the repository's folder")
        }
    }

    @Test("a commit that is not 40 lowercase hex digits is refused, whatever else it is",
          arguments: ["ABCDEF0123456789ABCDEF0123456789ABCDEF01", "abc", String(repeating: "a", count: 41), String(repeating: "a", count: 20_000)])
    func malformedCommit(commit: String) throws {
        try expectRefused(["--header", "*:X-Repo-Commit:\(commit)"], saying: ["X-Repo-Commit header \"\(commit.prefix(40))"], attacked: nil)
    }

    /// pull asks for a fixed list of files (it reads no repository listing), and a revision only the user gives;
    /// both become paths (`snapshots/COMMIT/FILE`, `refs/REVISION`), so both go through the same check.
    @Test("a file name or revision that climbs out of the cache is refused before anything is asked or written")
    func fileNameAndRevisionTraversal() throws {
        let sandbox = try Sandbox(nestedHome: true)
        let hub = try FakeHub(hubArguments(), in: sandbox)
        let environment = sandbox.storeEnvironment(["HF_ENDPOINT": hub.endpoint])
        for name in [climb(sandbox) + "file", "/etc/x", "a\\..\\b", "a\u{0}b", "a//b", "./a", ""] {
            #expect(throws: ModelStoreError.self, "\(name.debugDescription)") {
                try HubDownloader(environment: environment).pull(RepoReference(repo: Self.repo), files: [HubFile(name, required: true)])
            }
        }
        let revision = climb(sandbox) + "ref"
        let result = try Bertscope.run(["pull", "\(Self.repo)@\(revision)"], environment: sandbox.environment(hub))
        #expect(result.status != 0)
        #expect(result.standardError.contains("revision \"\(revision.prefix(40))"), "\(result.standardError)")
        #expect(hub.requests().isEmpty, "refused before asking the server")
        try expectContained(sandbox, attacked: nil)
    }

    // MARK: Lengths that lie

    @Test("a size that lies is caught: short or long, in X-Linked-Size or Content-Length, for LFS and small files",
          arguments: [
            ("model.safetensors", ["--header", "model.safetensors:X-Linked-Size:1000"], "sent more than the 1000 bytes it announced"),
            ("model.safetensors", ["--header", "model.safetensors:X-Linked-Size:90000000"], "of 90000000 bytes"),
            ("model.safetensors", ["--length", "model.safetensors:-100"], "the connection ended after"),
            ("model.safetensors", ["--length", "model.safetensors:100"], "model.safetensors was interrupted"),
            ("config.json", ["--length", "config.json:-100"], "config.json is corrupt: its git blob sha1"),
            ("config.json", ["--length", "config.json:100"], "config.json was interrupted"),
          ])
    func lyingLength(file: String, arguments: [String], expected: String) throws {
        try expectRefused(arguments, saying: [expected], attacked: file)
    }

    // MARK: Redirects

    @Test("a redirect loop ends after a bounded number of hops, in the metadata request or the download",
          arguments: [(["--redirect-loop", "config.json"], "config.json"),
                      (["--header", "model.safetensors:Location:http://localhost:{port}/loop/0"], "model.safetensors")])
    func redirectLoop(arguments: [String], file: String) throws {
        try expectRefused(arguments, saying: ["downloading \(file) was stopped", "redirected more than 10 times"], attacked: file)
    }

    @Test("a redirect to a file: or ftp: address is refused, from the Hub or from the CDN",
          arguments: ["file:///etc/passwd", "http://localhost:{port}/redirect?to=file:///etc/passwd",
                      "ftp://127.0.0.1:{port}/model.safetensors", "http://localhost:{port}/redirect?to=ftp://127.0.0.1/x"])
    func nonHTTPRedirect(location: String) throws {
        let target = location.hasPrefix("http") ? String(location[location.range(of: "to=")!.upperBound...]) : location
        try expectRefused(["--header", "model.safetensors:Location:\(location)"],
                          saying: ["redirected to \(target.prefix(8))", "which is not an http:// or https:// address"], attacked: "model.safetensors")
    }

    // MARK: Answers without end

    @Test("a 10 MB header line ends with a clear error")
    func hugeHeader() throws {
        try expectRefused(["--huge-header", "config.json"], saying: ["config.json was interrupted", "header over 100 kB"], attacked: nil)
    }

    @Test("a body that never ends stops at the announced size; a file without a size is refused")
    func endlessBody() throws {
        try expectRefused(["--endless", "model.safetensors"], saying: ["sent more than the", "bytes it announced for model.safetensors"],
                          attacked: "model.safetensors")
        try expectRefused(["--endless", "config.json"], saying: ["no Content-Length header"], attacked: nil)
    }
}
