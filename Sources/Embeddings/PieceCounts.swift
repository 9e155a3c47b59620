import Tokenization

/// How a tokenizer cut one text: its pieces (the special tokens not counted), how many of them are the unknown
/// token, and the text's linguistic words (ICU's, which do not depend on the tokenizer), so that pieces per word
/// (fertility) compares two models' tokenizers over the same words. Words cut off by truncation are not counted.
public struct PieceCounts: Sendable, Hashable {
    public var pieces: Int
    public var unknowns: Int
    public var words: Int

    /// Pieces per word (fertility); nil for a text without words.
    public var piecesPerWord: Double? { words == 0 ? nil : Double(pieces) / Double(words) }

    public init(pieces: Int, unknowns: Int, words: Int) {
        self.pieces = pieces
        self.unknowns = unknowns
        self.words = words
    }

    /// The counts of text `sequence` of `encoding`; `linguisticWords` are its linguistic words when already made
    /// (else ICU is asked; a failure, which a valid string has no reason for, counts no words).
    public init(_ encoding: Encoding, sequence: Int = 0, linguisticWords: WordPieces? = nil) {
        let tokens = (0..<encoding.count).filter { encoding.sequenceIds[$0] == sequence && !encoding.specialTokensMask[$0] }
        pieces = tokens.count
        unknowns = tokens.filter { encoding.isUnknown[$0] }.count
        let words = linguisticWords ?? (try? WordPieces(encoding: encoding, sequence: sequence, source: .linguistic))
        self.words = words?.words.count ?? 0
    }
}
