import Foundation
@testable import ModelStore
import TestSupport
import Testing

/// `bertscope pull` against fake_hub.py, which answers the way the Hub does (redirects to a CDN for LFS
/// files, Range, ETag / X-Linked-Etag, 404s) and misbehaves on request.
@Suite("bertscope pull, end to end")
struct PullEndToEndTests {
    static let repo = "google-bert/tiny-modern"
    let fixture = TestPaths.fixtures.appendingPathComponent("engine/tiny-modern")
    var weights: URL { fixture.appendingPathComponent("model.safetensors") }

    func hubArguments(_ extra: [String] = []) -> [String] { ["--repo", "\(Self.repo)=\(fixture.path)"] + extra }

    func repoFolder(_ sandbox: Sandbox) -> URL { sandbox.hubCache.appendingPathComponent("models--google-bert--tiny-modern") }

    func weightsBlob(_ sandbox: Sandbox) throws -> URL { repoFolder(sandbox).appendingPathComponent("blobs/\(try sha256(weights))") }

    func gets(_ hub: FakeHub, under prefix: String) -> [[String: Any]] {
        hub.requests().filter { $0["method"] as? String == "GET" && ($0["path"] as? String ?? "").hasPrefix(prefix) }
    }

    @Test("downloads the files into the Hugging Face cache layout and finds them there next time")
    func fullPull() throws {
        let sandbox = try Sandbox()
        let hub = try FakeHub(hubArguments(), in: sandbox)
        let result = try Bertscope.run(["pull", Self.repo], environment: sandbox.environment(hub))
        #expect(result.status == 0, "\(result.standardError)")

        let repoFolder = repoFolder(sandbox)
        let commit = try String(contentsOf: repoFolder.appendingPathComponent("refs/main"), encoding: .utf8)
        let snapshot = repoFolder.appendingPathComponent("snapshots/\(commit)")
        #expect(result.standardOutput.trimmingCharacters(in: .newlines) == snapshot.path)
        for file in ["config.json", "vocab.txt", "tokenizer_config.json", "model.safetensors"] {
            let link = try FileManager.default.destinationOfSymbolicLink(atPath: snapshot.appendingPathComponent(file).path)
            #expect(link.hasPrefix("../../blobs/"), "\(file) -> \(link)")
            #expect(try Data(contentsOf: snapshot.appendingPathComponent(file)) == Data(contentsOf: fixture.appendingPathComponent(file)))
        }
        #expect(fileExists(try weightsBlob(sandbox)), "the LFS blob is named by its sha256")
        #expect(!hub.requests().contains { ($0["path"] as? String ?? "").hasSuffix("/tokenizer.json") },
                "a file the repository's listing does not have is never asked for")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: repoFolder.appendingPathComponent("blobs").path)
        #expect(!leftovers.contains { $0.hasSuffix(".incomplete") })
        #expect(gets(hub, under: "/cdn/").count == 1, "the weights come through the redirect")

        let again = try Bertscope.run(["pull", Self.repo], environment: sandbox.environment(hub))
        #expect(again.status == 0, "\(again.standardError)")
        #expect(again.standardError.contains("all 4 files are in the cache"))
        #expect(gets(hub, under: "/").filter { !($0["path"] as? String ?? "").hasPrefix("/api/") }.count == 4, "nothing is downloaded twice")

        let info = try Bertscope.run(["model", "info", "--model", Self.repo, "--json"], environment: sandbox.environment(hub))
        #expect(info.status == 0, "\(info.standardError)")
        let object = try jsonObject(info.standardOutput)
        #expect(object["folder"] as? String == snapshot.path)
        #expect(object["reason_code"] as? String == "hf-cache")
    }

    @Test("a download cut off mid-file keeps its bytes in .incomplete, and the next pull resumes them with Range")
    func cutAndResume() throws {
        let sandbox = try Sandbox()
        let hub = try FakeHub(hubArguments(["--cut", "model.safetensors:30000:1"]), in: sandbox)
        let first = try Bertscope.run(["pull", Self.repo, "--retries", "0"], environment: sandbox.environment(hub))
        #expect(first.status != 0)
        #expect(first.standardError.contains("model.safetensors was interrupted"), "\(first.standardError)")
        #expect(first.standardError.contains("pull again to resume"))
        let blob = try weightsBlob(sandbox)
        let partial = URL(fileURLWithPath: blob.path + ".incomplete")
        #expect(!fileExists(blob), "a partial file is never under its final name")
        #expect(fileSize(partial.path) == 30000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: repoFolder(sandbox).appendingPathComponent("snapshots").path).allSatisfy { commit in
            !fileExists(repoFolder(sandbox).appendingPathComponent("snapshots/\(commit)/model.safetensors"))
        })

        let second = try Bertscope.run(["pull", Self.repo], environment: sandbox.environment(hub))
        #expect(second.status == 0, "\(second.standardError)")
        #expect(second.standardError.contains("resuming at 30.0 kB"), "\(second.standardError)")
        #expect(gets(hub, under: "/cdn/").last?["range"] as? String == "bytes=30000-")
        #expect(try sha256(blob) == sha256(weights))
        #expect(!fileExists(partial))
    }

    @Test("with retries, one pull survives a broken connection by resuming")
    func retryResumes() throws {
        let sandbox = try Sandbox()
        let hub = try FakeHub(hubArguments(["--cut", "model.safetensors:20000:1"]), in: sandbox)
        let result = try Bertscope.run(["pull", Self.repo], environment: sandbox.environment(hub))
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardError.contains("retrying (1 of 3)"))
        #expect(gets(hub, under: "/cdn/").map { $0["range"] as? String } == [nil, "bytes=20000-"])
        #expect(try sha256(weightsBlob(sandbox)) == sha256(weights))
    }

    @Test("a server that ignores Range gets the whole file again, and the result is still right")
    func rangeIgnored() throws {
        let sandbox = try Sandbox()
        let hub = try FakeHub(hubArguments(["--cut", "model.safetensors:20000:1", "--ignore-range"]), in: sandbox)
        _ = try Bertscope.run(["pull", Self.repo, "--retries", "0"], environment: sandbox.environment(hub))
        let result = try Bertscope.run(["pull", Self.repo], environment: sandbox.environment(hub))
        #expect(result.status == 0, "\(result.standardError)")
        #expect(try sha256(weightsBlob(sandbox)) == sha256(weights))
    }

    @Test("a corrupted byte fails the sha256 check, and the bad file is not kept")
    func corruption() throws {
        let sandbox = try Sandbox()
        let hub = try FakeHub(hubArguments(["--corrupt", "model.safetensors:1000"]), in: sandbox)
        let result = try Bertscope.run(["pull", Self.repo], environment: sandbox.environment(hub))
        #expect(result.status != 0)
        #expect(result.standardError.contains("model.safetensors is corrupt"), "\(result.standardError)")
        #expect(result.standardError.contains(try sha256(weights)))
        let blob = try weightsBlob(sandbox)
        #expect(!fileExists(blob))
        #expect(!fileExists(URL(fileURLWithPath: blob.path + ".incomplete")))
        #expect(!fileExists(repoFolder(sandbox).appendingPathComponent("refs/main")), "the revision is not recorded for a failed pull")
    }

    @Test("404s: a missing file, repository or revision each get their own clear error")
    func notFound() throws {
        let sandbox = try Sandbox()
        let noWeights = try sandbox.modelFolder("no-weights", from: "tiny-modern", files: ["config.json", "vocab.txt"])
        let hub = try FakeHub(hubArguments(["--repo", "org/no-weights=\(noWeights.path)"]), in: sandbox)

        let missingFile = try Bertscope.run(["pull", "org/no-weights"], environment: sandbox.environment(hub))
        #expect(missingFile.status != 0)
        #expect(missingFile.standardError.contains("org/no-weights has no model.safetensors"), "\(missingFile.standardError)")

        let missingRepo = try Bertscope.run(["pull", "org/nothing-here"], environment: sandbox.environment(hub))
        #expect(missingRepo.status != 0)
        #expect(missingRepo.standardError.contains("org/nothing-here: no such repository on \(hub.endpoint)"), "\(missingRepo.standardError)")

        let missingRevision = try Bertscope.run(["pull", "\(Self.repo)@v9"], environment: sandbox.environment(hub))
        #expect(missingRevision.status != 0)
        #expect(missingRevision.standardError.contains("has no revision \"v9\""), "\(missingRevision.standardError)")

        let invalid = try Bertscope.run(["pull", "not a repo"], environment: sandbox.environment(hub))
        #expect(invalid.status != 0)
        #expect(invalid.standardError.contains("not a Hugging Face repository id"))
    }

    @Test("a server that stops sending mid-file times out with a clear error, within seconds")
    func stalledBody() throws {
        let sandbox = try Sandbox()
        let hub = try FakeHub(hubArguments(["--stall", "model.safetensors:5000"]), in: sandbox)
        let start = Date()
        let result = try Bertscope.run(["pull", Self.repo, "--timeout", "1", "--retries", "0"], environment: sandbox.environment(hub))
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(result.status != 0)
        #expect(result.standardError.contains("127.0.0.1 sent nothing for 1 s while downloading model.safetensors (timeout)"), "\(result.standardError)")
        #expect(result.standardError.contains("after 5000 of"))
        #expect(fileSize(try weightsBlob(sandbox).path + ".incomplete") == 5000)
    }

    @Test("a server that never answers the metadata request times out too")
    func stalledHead() throws {
        let sandbox = try Sandbox()
        let hub = try FakeHub(hubArguments(["--stall-head", "config.json"]), in: sandbox)
        let start = Date()
        let result = try Bertscope.run(["pull", Self.repo, "--timeout", "1", "--retries", "1"], environment: sandbox.environment(hub))
        #expect(Date().timeIntervalSince(start) < 20)
        #expect(result.status != 0)
        #expect(result.standardError.contains("while downloading config.json (timeout)"), "\(result.standardError)")
        #expect(result.standardError.contains("retrying (1 of 1)"))
    }

    @Test("HF_HUB_OFFLINE=1 never contacts the Hub: an error when the model is missing, the cache when it is there")
    func offline() throws {
        let sandbox = try Sandbox()
        let hub = try FakeHub(hubArguments(), in: sandbox)
        let refused = try Bertscope.run(["pull", Self.repo], environment: sandbox.environment(hub, ["HF_HUB_OFFLINE": "1"]))
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("HF_HUB_OFFLINE is set, so bertscope does not download"), "\(refused.standardError)")
        #expect(hub.requests().isEmpty)

        #expect(try Bertscope.run(["pull", Self.repo], environment: sandbox.environment(hub)).status == 0)
        let requests = hub.requests().count
        let cached = try Bertscope.run(["pull", Self.repo], environment: sandbox.environment(hub, ["HF_HUB_OFFLINE": "1"]))
        #expect(cached.status == 0, "\(cached.standardError)")
        #expect(cached.standardError.contains("already in the cache"))
        #expect(hub.requests().count == requests)
    }

    @Test("HF_TOKEN goes to the Hub as a bearer token, never to the CDN it redirects to")
    func token() throws {
        let sandbox = try Sandbox()
        let hub = try FakeHub(hubArguments(["--token", "s3cret", "--cdn-host", "localhost"]), in: sandbox)
        let refused = try Bertscope.run(["pull", Self.repo], environment: sandbox.environment(hub))
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("is gated"), "\(refused.standardError)")
        #expect(refused.standardError.contains("set HF_TOKEN"))

        let before = hub.requests().count
        let result = try Bertscope.run(["pull", Self.repo], environment: sandbox.environment(hub, ["HF_TOKEN": "s3cret"]))
        #expect(result.status == 0, "\(result.standardError)")
        let accepted = hub.requests().dropFirst(before)
        let toHub = accepted.filter { ($0["path"] as? String ?? "").contains("/resolve/") || ($0["path"] as? String ?? "").hasPrefix("/api/") }
        let toCDN = accepted.filter { ($0["path"] as? String ?? "").hasPrefix("/cdn/") }
        // The listing, a HEAD for each of the 4 files, a GET for each of the 3 small ones; the weights from the CDN.
        #expect(toHub.count == 8 && toCDN.count == 1)
        #expect(toHub.allSatisfy { $0["authorization"] as? String == "Bearer s3cret" })
        #expect(toCDN.allSatisfy { $0["authorization"] is NSNull })
    }

    @Test("REPO@REVISION pulls that revision, records refs/REVISION, and --model REPO@REVISION finds it")
    func revisions() throws {
        let sandbox = try Sandbox()
        let google = TestPaths.fixtures.appendingPathComponent("engine/tiny-google")
        let hub = try FakeHub(hubArguments(["--revision", "\(Self.repo)@v2=\(google.path)"]), in: sandbox)
        let main = try Bertscope.run(["pull", Self.repo], environment: sandbox.environment(hub))
        let v2 = try Bertscope.run(["pull", "\(Self.repo)@v2"], environment: sandbox.environment(hub))
        #expect(main.status == 0 && v2.status == 0, "\(main.standardError) \(v2.standardError)")
        #expect(main.standardOutput != v2.standardOutput)
        let commit = try String(contentsOf: repoFolder(sandbox).appendingPathComponent("refs/v2"), encoding: .utf8)
        #expect(v2.standardOutput.contains(commit))

        let info = try Bertscope.run(["model", "info", "--model", "\(Self.repo)@v2", "--json"], environment: sandbox.environment(hub))
        #expect(info.status == 0, "\(info.standardError)")
        let object = try jsonObject(info.standardOutput)
        #expect(object["folder"] as? String == v2.standardOutput.trimmingCharacters(in: .newlines))
        let names = (object["tensors"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(names.contains { $0.hasPrefix("bert.") }, "the v2 snapshot is the Google-named checkpoint")

        let byCommit = try Bertscope.run(["tokenize", "--model", "\(Self.repo)@\(commit)", "--json", "hello"], environment: sandbox.environment(hub))
        #expect(byCommit.status == 0, "\(byCommit.standardError)")
    }

    @Test("a repository that is not a BERT encoder is refused before its weights are downloaded")
    func notBERT() throws {
        let sandbox = try Sandbox()
        let config = #"{"model_type": "gpt2", "vocab_size": 120}"#
        let folder = try sandbox.modelFolder("gpt2", from: "tiny-modern", files: ["vocab.txt", "model.safetensors"], extra: ["config.json": config])
        let hub = try FakeHub(["--repo", "org/gpt2=\(folder.path)"], in: sandbox)
        let result = try Bertscope.run(["pull", "org/gpt2"], environment: sandbox.environment(hub))
        #expect(result.status != 0)
        #expect(result.standardError.contains("org/gpt2 is not a model bertscope can run"), "\(result.standardError)")
        #expect(gets(hub, under: "/cdn/").isEmpty)
    }

    @Test("an HF_ENDPOINT that is not an http(s) address is named as the problem, not reported as an interrupted download",
          arguments: ["notaurl", "ftp://example.org", "http://"])
    func invalidEndpoint(endpoint: String) throws {
        let sandbox = try Sandbox()
        let result = try Bertscope.run(["pull", "org/x"], environment: sandbox.environment(nil, ["HF_ENDPOINT": endpoint]))
        #expect(result.status != 0)
        #expect(result.standardError.contains("is not an http:// or https:// address"), "\(result.standardError)")
        #expect(!result.standardError.contains("interrupted"), "\(result.standardError)")
    }
}
