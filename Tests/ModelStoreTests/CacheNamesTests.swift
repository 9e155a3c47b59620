import Foundation
@testable import ModelStore
import Testing

@Suite("names that become cache paths")
struct CacheNamesTests {
    @Test("what the Hub sends passes", arguments: ["main", "v1.0", "refs/pr/1", "config.json", "onnx/model.onnx", "a..b", ".gitattributes"])
    func accepted(name: String) throws {
        #expect(try CacheNames.relativePath(name, from: "the name") == name)
    }

    @Test("what could leave the folder, or hide a separator, is refused",
          arguments: ["", "..", ".", "../x", "a/../b", "a/..", "/etc/passwd", "a//b", "a/", "./a", "a\\b", "a\u{0}b", "a\nb", "a\u{7F}b",
                      String(repeating: "a", count: 256), Array(repeating: "a", count: 600).joined(separator: "/")])
    func refused(name: String) {
        #expect(throws: ModelStoreError.self) { try CacheNames.relativePath(name, from: "the name") }
    }

    @Test("commits are 40 lowercase hex digits; blobs 64 or 40")
    func hashes() throws {
        let commit = String(repeating: "0123456789", count: 4)
        #expect(try CacheNames.commit(commit, from: "c") == commit)
        let sha256 = String(repeating: "abcdef0123456789", count: 4)
        #expect(try CacheNames.blob(sha256, from: "b") == sha256)
        #expect(try CacheNames.blob(commit, from: "b") == commit)
        for bad in [commit.uppercased() + "A", String(commit.dropLast()), commit + "0", "g" + commit.dropFirst(), sha256.uppercased(), ""] {
            #expect(throws: ModelStoreError.self) { try CacheNames.blob(bad, from: "b") }
        }
        #expect(throws: ModelStoreError.self) { try CacheNames.commit(sha256, from: "c") }
        #expect(throws: ModelStoreError.self) { try CacheNames.commit("ABCDEF0123456789ABCDEF0123456789ABCDEF01", from: "c") }
    }

    @Test("the error names where the value came from, escapes control characters and cuts a long value")
    func message() {
        let long = "../" + String(repeating: "x", count: 5000) + "\u{0}"
        let error = ModelStoreError.unsafeName(source: "the server's ETag header", value: long, expected: "a blob name")
        #expect(error.description.hasPrefix("the server's ETag header \"../xxx"))
        #expect(error.description.contains("… (5004 characters)"))
        #expect(error.description.count < 200)
        #expect(CacheNames.readable("a\u{0}b\nc") == "a\\0b\\nc")
    }
}
