import Foundation
@testable import ModelStore
import TestSupport
import Testing

@Suite("SHA-256")
struct SHA256Tests {
    func digest(_ bytes: [UInt8], chunk: Int? = nil) -> String {
        var hasher = SHA256()
        let size = chunk ?? max(bytes.count, 1)
        var start = 0
        while start < bytes.count {
            let end = min(start + size, bytes.count)
            hasher.update(Data(bytes[start..<end]))
            start = end
        }
        return hasher.finalizeHex()
    }

    @Test("matches the FIPS 180-4 examples")
    func standardVectors() {
        #expect(digest([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(digest(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(digest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(digest([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("gives the same digest whatever the chunk sizes", arguments: [1, 3, 63, 64, 65, 1000])
    func chunking(chunk: Int) {
        let bytes = (0..<4099).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        #expect(digest(bytes, chunk: chunk) == digest(bytes))
    }
}

@Suite("git blob SHA-1")
struct GitBlobSHA1Tests {
    @Test("matches the FIPS 180-4 examples and git's blob hashes")
    func vectors() throws {
        #expect(GitBlobSHA1.sha1Hex(Data()) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(GitBlobSHA1.sha1Hex(Data("abc".utf8)) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(GitBlobSHA1.sha1Hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        // `git hash-object` of an empty file and of "hello\n".
        let folder = try makeTemporaryFolder("sha1")
        defer { try? FileManager.default.removeItem(at: folder) }
        let empty = folder.appendingPathComponent("empty"), hello = folder.appendingPathComponent("hello")
        try Data().write(to: empty)
        try Data("hello\n".utf8).write(to: hello)
        #expect(try GitBlobSHA1.hex(ofFile: empty) == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")
        #expect(try GitBlobSHA1.hex(ofFile: hello) == "ce013625030ba8dba906f756967f9e9ca394464a")
    }
}
