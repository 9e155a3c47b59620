import Tokenization
import WordSegmentation

/// Where a text's words come from.
public enum WordSource: String, Sendable, CaseIterable, Codable {
    /// ICU's word break iterator: words in every script, spaces and punctuation excluded.
    case linguistic
    /// The tokenizer's own words (Hugging Face `word_ids`): what the model saw.
    case tokenizer
    /// The whitespace-separated tokens of the text, as evaluation data comes (`align --pretokenized`).
    case whitespace
}

/// The words of one input text and which of them each piece belongs to. A piece belongs to the word that
/// holds its first character that is not a space (SentencePiece's `▁` stands for the space before a word, so a
/// lone `▁` belongs to the word after it); a piece whose first such character is punctuation belongs to none.
public struct WordPieces: Sendable, Hashable {
    /// The words that have pieces, in order; `Word.index` is the word's number among all the text's words.
    public var words: [Word]
    /// How many words the text has, those cut by truncation included: the range of word numbers.
    public var wordCount: Int
    /// For each token of the encoding: the number (`Word.index`) of the word the piece belongs to; nil for
    /// special tokens, the other text's pieces and pieces without a word character.
    public var pieceWords: [Int?]
    /// For each token: true when the piece also covers characters of a word it does not belong to (a
    /// SentencePiece piece such as `▁犬が` can). A word whose characters all lie in such a piece has no piece
    /// of its own and is given the pieces that cover it.
    public var crossesWordBoundary: [Bool]

    /// Maps the pieces of text `sequence` of `encoding` onto `segments` (sorted, disjoint spans in Unicode
    /// scalars). A word no piece covers (cut by truncation) is left out of `words`, and keeps its number.
    public init(encoding: Encoding, sequence: Int, segments: [Range<Int>]) {
        wordCount = segments.count
        pieceWords = Array(repeating: nil, count: encoding.count)
        crossesWordBoundary = Array(repeating: false, count: encoding.count)
        words = []
        guard sequence < encoding.texts.count else { return }
        let scalars = Array(encoding.texts[sequence].unicodeScalars)
        /// The first segment whose end lies after `position`.
        func firstSegment(endingAfter position: Int) -> Int {
            var low = 0, high = segments.count
            while low < high {
                let middle = (low + high) / 2
                if segments[middle].upperBound <= position { low = middle + 1 } else { high = middle }
            }
            return low
        }
        var owned = [[Int]](repeating: [], count: segments.count)
        var covering = [[Int]](repeating: [], count: segments.count)
        for token in 0..<encoding.count where encoding.sequenceIds[token] == sequence && !encoding.specialTokensMask[token] {
            let span = encoding.offsets[token]
            // A piece of spaces only (SentencePiece's lone `▁`) stands for the space before what follows.
            let start = (span.start..<scalars.count).first { !EmbeddedText.isInvisible(scalars[$0]) }
            var owner: Int?
            if let start {
                let candidate = firstSegment(endingAfter: start)
                if candidate < segments.count && segments[candidate].contains(start) { owner = candidate }
            }
            var segment = firstSegment(endingAfter: span.start)
            while segment < segments.count && segments[segment].lowerBound < span.end {
                covering[segment].append(token)
                if segment != owner { crossesWordBoundary[token] = true }
                segment += 1
            }
            if let owner { owned[owner].append(token) }
        }
        for (segment, span) in segments.enumerated() {
            let tokens = owned[segment].isEmpty ? covering[segment] : owned[segment]
            guard let first = tokens.first, let last = tokens.last else { continue }
            for token in tokens where pieceWords[token] == nil { pieceWords[token] = segment }
            words.append(Word(sequence: sequence, index: segment,
                              text: String(String.UnicodeScalarView(scalars[span])),
                              span: TextSpan(span.lowerBound, span.upperBound), tokens: first..<(last + 1)))
        }
    }

    /// The words of text `sequence` of `encoding` from `source`, with the pieces mapped onto them.
    public init(encoding: Encoding, sequence: Int = 0, source: WordSource) throws {
        guard sequence < encoding.texts.count else {
            self.init(encoding: encoding, sequence: sequence, segments: [])
            return
        }
        let text = encoding.texts[sequence]
        switch source {
        case .linguistic:
            self.init(encoding: encoding, sequence: sequence, segments: try WordSegmenter.words(of: text).map(\.scalars))
        case .whitespace:
            self.init(encoding: encoding, sequence: sequence, segments: Self.whitespaceTokens(of: text))
        case .tokenizer:
            let words = EmbeddedText.words(of: encoding, sequence: sequence)
            var pieceWords = [Int?](repeating: nil, count: encoding.count)
            for word in words { for token in word.tokens { pieceWords[token] = word.index } }
            self.init(words: words, wordCount: encoding.wordCount(sequence: sequence), pieceWords: pieceWords,
                      crossesWordBoundary: Array(repeating: false, count: encoding.count))
        }
    }

    private init(words: [Word], wordCount: Int, pieceWords: [Int?], crossesWordBoundary: [Bool]) {
        self.words = words
        self.wordCount = wordCount
        self.pieceWords = pieceWords
        self.crossesWordBoundary = crossesWordBoundary
    }

    /// Spans of the runs of characters that are not whitespace (Python's `str.split()`).
    static func whitespaceTokens(of text: String) -> [Range<Int>] {
        var spans = [Range<Int>]()
        var start: Int?
        for (index, scalar) in text.unicodeScalars.enumerated() {
            if scalar.properties.isWhitespace {
                if let begun = start { spans.append(begun..<index) }
                start = nil
            } else if start == nil {
                start = index
            }
        }
        if let begun = start { spans.append(begun..<text.unicodeScalars.count) }
        return spans
    }
}
