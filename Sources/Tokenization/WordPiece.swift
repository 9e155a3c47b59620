/// Greedy longest-match-first WordPiece segmentation of one word.
struct WordPiece: Sendable {
    let vocabulary: Vocabulary
    let unknownId: Int
    let continuationPrefix: [UInt8]
    let maxInputCharsPerWord: Int
    let dialect: Dialect

    /// One piece: a vocabulary id and the scalars `[start, end)` of the word it covers.
    struct Piece: Equatable {
        var id: Int
        var start: Int
        var end: Int
    }

    /// Splits `word` into pieces; if any part has no match, or the word is too long, the whole word is
    /// the unknown token. `attempt` sees every candidate looked up, for the trace.
    func pieces(of word: [UInt32], attempt: ((WordPieceAttempt) -> Void)? = nil) -> (pieces: [Piece], unknown: UnknownReason?) {
        let length = characterCount(word)
        if length > maxInputCharsPerWord {
            return ([Piece(id: unknownId, start: 0, end: word.count)], .tooLong(characters: length, limit: maxInputCharsPerWord))
        }
        // UTF-8 of the word, and where each scalar starts in it.
        var bytes = [UInt8]()
        bytes.reserveCapacity(word.count * 3)
        var scalarStarts = [Int]()
        scalarStarts.reserveCapacity(word.count + 1)
        for value in word {
            scalarStarts.append(bytes.count)
            appendUTF8(value, to: &bytes)
        }
        scalarStarts.append(bytes.count)

        var pieces = [Piece]()
        var start = 0
        return bytes.withUnsafeBufferPointer { buffer in
            while start < word.count {
                let prefix = start > 0 ? continuationPrefix : []
                var end = word.count
                // No token is longer than the vocabulary's longest; skip those lookups.
                while end > start && scalarStarts[end] - scalarStarts[start] + prefix.count > vocabulary.longestTokenBytes {
                    end -= 1
                }
                var found: Int? = nil
                while end > start {
                    let candidate = UnsafeBufferPointer(rebasing: buffer[scalarStarts[start]..<scalarStarts[end]])
                    let id = vocabulary.id(prefix: prefix, candidate)
                    if let attempt {
                        attempt(WordPieceAttempt(start: start, end: end, candidate: String(decoding: prefix, as: UTF8.self) + String(decoding: candidate, as: UTF8.self), id: id))
                    }
                    if let id {
                        found = id
                        break
                    }
                    end -= 1
                }
                guard let id = found else {
                    return ([Piece(id: unknownId, start: 0, end: word.count)], .noMatch(atCharacter: start))
                }
                pieces.append(Piece(id: id, start: start, end: end))
                start = end
            }
            return (pieces, nil)
        }
    }

    /// The word length the dialect compares with the limit: scalars, or UTF-16 units for Spark's Java.
    private func characterCount(_ word: [UInt32]) -> Int {
        dialect == .spark ? word.reduce(0) { $0 + ($1 > 0xFFFF ? 2 : 1) } : word.count
    }
}

/// One vocabulary look-up WordPiece made: the candidate text for the word's scalars `[start, end)`.
public struct WordPieceAttempt: Sendable, Hashable {
    public var start: Int
    public var end: Int
    public var candidate: String
    /// The candidate's id, or `nil` when the vocabulary lacks it.
    public var id: Int?
}

/// Why a word became the unknown token.
public enum UnknownReason: Sendable, Hashable {
    /// The word is longer than the tokenizer splits.
    case tooLong(characters: Int, limit: Int)
    /// No vocabulary entry starts the rest of the word at this scalar.
    case noMatch(atCharacter: Int)
}

@inline(__always)
func appendUTF8(_ value: UInt32, to bytes: inout [UInt8]) {
    switch value {
    case 0..<0x80:
        bytes.append(UInt8(value))
    case 0x80..<0x800:
        bytes.append(UInt8(0xC0 | (value >> 6)))
        bytes.append(UInt8(0x80 | (value & 0x3F)))
    case 0x800..<0x10000:
        bytes.append(UInt8(0xE0 | (value >> 12)))
        bytes.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
        bytes.append(UInt8(0x80 | (value & 0x3F)))
    default:
        bytes.append(UInt8(0xF0 | (value >> 18)))
        bytes.append(UInt8(0x80 | ((value >> 12) & 0x3F)))
        bytes.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
        bytes.append(UInt8(0x80 | (value & 0x3F)))
    }
}

@inline(__always)
func utf8Length(_ value: UInt32) -> Int {
    value < 0x80 ? 1 : value < 0x800 ? 2 : value < 0x10000 ? 3 : 4
}
