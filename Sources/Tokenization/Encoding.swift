/// A half-open span `[start, end)`.
public struct TextSpan: Sendable, Hashable, Codable {
    public var start: Int
    public var end: Int
    public init(_ start: Int, _ end: Int) {
        self.start = start
        self.end = end
    }
    public static let empty = TextSpan(0, 0)
}

/// How many pieces truncation cut, per input text.
public struct Truncation: Sendable, Hashable {
    /// The limit in positions (special tokens included), or `nil` for none.
    public var maxLength: Int?
    /// Pieces removed from each input text: one entry per text.
    public var removedPieces: [Int]

    public var isTruncated: Bool { removedPieces.contains { $0 > 0 } }
}

/// The tokenizer's output for one text or one pair of texts: the model's input and where each piece
/// came from. All arrays have one entry per token, special tokens included.
public struct Encoding: Sendable, Hashable {
    /// The input texts: one, or two for a pair.
    public var texts: [String]
    public var ids: [Int]
    public var tokens: [String]
    /// Span in Unicode scalars of the token's own text (`texts[sequenceIds[i]]`); `[0, 0)` for specials.
    public var offsets: [TextSpan]
    /// The same spans in UTF-8 bytes.
    public var byteOffsets: [TextSpan]
    /// Index of the word a piece belongs to, counted per text; `nil` for special tokens.
    public var wordIds: [Int?]
    /// 0 for the first text and its [CLS]/[SEP], 1 for the second text and its final [SEP].
    public var typeIds: [Int]
    /// Which input text a token came from; `nil` for [CLS] and [SEP].
    public var sequenceIds: [Int?]
    /// True for the [CLS] and [SEP] the template adds (not for a special token typed in the text).
    public var specialTokensMask: [Bool]
    /// True for the unknown token.
    public var isUnknown: [Bool]
    public var truncation: Truncation

    public var count: Int { ids.count }

    /// Number of words in each input text (after truncation).
    public func wordCount(sequence: Int) -> Int {
        var highest = -1
        for (word, owner) in zip(wordIds, sequenceIds) where owner == sequence { highest = max(highest, word ?? -1) }
        return highest + 1
    }
}
