import Foundation

/// A WordPiece vocabulary: token strings by id, and ids looked up by the token's exact UTF-8 bytes.
///
/// Lookups compare bytes, never `String`s: Swift's `String` equality is canonical equivalence, so a
/// `[String: Int]` would merge the NFC and NFD spellings that mBERT's vocabulary lists under different ids.
public struct Vocabulary: Sendable {
    /// Token text by id.
    public let tokens: [String]
    /// All token bytes, back to back; token `i` is `bytes[starts[i]..<starts[i + 1]]`.
    private let bytes: [UInt8]
    private let starts: [Int32]
    /// Open-addressing hash table of ids (-1 = empty), sized to a power of two.
    private let slots: [Int32]
    /// The longest token, in bytes: no longer candidate needs a lookup.
    public let longestTokenBytes: Int

    public var count: Int { tokens.count }

    /// Builds a vocabulary from tokens in id order. When two entries have identical bytes the later id
    /// wins, as in Hugging Face's and Google's loaders.
    public init(tokens: [String]) {
        self.tokens = tokens
        var bytes = [UInt8]()
        var starts = [Int32]()
        starts.reserveCapacity(tokens.count + 1)
        var longest = 0
        for token in tokens {
            starts.append(Int32(bytes.count))
            bytes.append(contentsOf: token.utf8)
            longest = max(longest, token.utf8.count)
        }
        starts.append(Int32(bytes.count))
        var capacity = 16
        while capacity < tokens.count * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        bytes.withUnsafeBufferPointer { all in
            for id in tokens.indices {
                let token = UnsafeBufferPointer(rebasing: all[Int(starts[id])..<Int(starts[id + 1])])
                var slot = Int(Vocabulary.hash(prefix: [], token) & UInt64(capacity - 1))
                while slots[slot] >= 0 {
                    let other = Int(slots[slot])
                    if token.elementsEqual(all[Int(starts[other])..<Int(starts[other + 1])]) { break }
                    slot = (slot + 1) & (capacity - 1)
                }
                slots[slot] = Int32(id)
            }
        }
        self.bytes = bytes
        self.starts = starts
        self.slots = slots
        self.longestTokenBytes = longest
    }

    /// Reads a `vocab.txt`: one token per line, the line number is the id.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizerError.unreadableFile(url.path, reason: error.localizedDescription)
        }
        guard String(validating: data, as: UTF8.self) != nil else {
            throw TokenizerError.invalidVocabulary(url.path, reason: "it is not valid UTF-8")
        }
        // Work on bytes: as a String, "\r\n" is one Character and would hide the line break.
        var bytes = Array(data)
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        // Split on LF only: a token may contain any other character. A trailing CR is part of CRLF.
        let tokens = bytes.isEmpty ? [] : bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map {
            line -> String in
            let trimmed = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
            return String(decoding: trimmed, as: UTF8.self)
        }
        guard !tokens.isEmpty else { throw TokenizerError.invalidVocabulary(url.path, reason: "it is empty") }
        self.init(tokens: tokens)
    }

    /// The id of the token whose bytes are `prefix` followed by `token`, if any.
    @inline(__always)
    public func id(prefix: [UInt8] = [], _ token: UnsafeBufferPointer<UInt8>) -> Int? {
        let length = prefix.count + token.count
        guard length <= longestTokenBytes else { return nil }
        let mask = slots.count - 1
        var slot = Int(Vocabulary.hash(prefix: prefix, token) & UInt64(mask))
        return bytes.withUnsafeBufferPointer { all in
            while true {
                let id = Int(slots[slot])
                if id < 0 { return nil }
                let start = Int(starts[id])
                if Int(starts[id + 1]) - start == length
                    && prefix.indices.allSatisfy({ all[start + $0] == prefix[$0] })
                    && (token.isEmpty || memcmp(all.baseAddress! + start + prefix.count, token.baseAddress!, token.count) == 0)
                {
                    return id
                }
                slot = (slot + 1) & mask
            }
        }
    }

    /// The id of a token given as text (compared by its UTF-8 bytes).
    public func id(of token: String) -> Int? {
        Array(token.utf8).withUnsafeBufferPointer { id($0) }
    }

    /// FNV-1a over the prefix and then the token bytes.
    @inline(__always)
    private static func hash(prefix: [UInt8], _ token: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in prefix { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        for byte in token { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash ^ (hash >> 29)
    }
}
