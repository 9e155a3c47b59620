/// Every stage of tokenizing one text, for the "why was this split / why is this [UNK]" view.
public struct TokenizationTrace: Sendable, Hashable {
    public var text: String
    public var dialect: Dialect
    /// Original scalar indices deleted by cleaning (controls, format characters, NUL, U+FFFD, ...).
    public var removedByCleaning: [Int]
    /// Original scalar indices turned into plain spaces by cleaning.
    public var replacedByWhitespace: [Int]
    /// The words the basic tokenizer produced, each with its WordPiece search.
    public var words: [TracedWord]
}

/// One word of the trace.
public struct TracedWord: Sendable, Hashable {
    /// The word after normalization (what WordPiece sees).
    public var text: String
    /// Its span in the original text, in Unicode scalars.
    public var span: TextSpan
    public var kind: WordKind
    /// The pieces it became.
    public var pieces: [String]
    /// Every vocabulary look-up, in order; the successful ones are the pieces.
    public var attempts: [WordPieceAttempt]
    /// Why the word became the unknown token, if it did.
    public var unknownReason: UnknownReason?
}

extension BertTokenizer {
    /// Runs the tokenizer on `text` and records each stage.
    public func trace(_ text: String) -> TokenizationTrace {
        let scalars = text.unicodeScalars.map(\.value)
        var removed = [Int]()
        var replaced = [Int]()
        if configuration.cleanText {
            for (index, value) in scalars.enumerated() {
                let flags = basic.normalizer.classifier.flags(value)
                if flags.contains(.removedByCleaning) {
                    removed.append(index)
                } else if flags.contains(.whitespace) {
                    replaced.append(index)
                }
            }
        }
        let words = basic.words(scalars).map { word -> TracedWord in
            let origins = word.text.origins
            let span = TextSpan(origins[0], origins[origins.count - 1] + 1)
            if let special = word.specialTokenId {
                return TracedWord(
                    text: word.text.text, span: span, kind: word.kind, pieces: [vocabulary.tokens[special]],
                    attempts: [], unknownReason: nil)
            }
            var attempts = [WordPieceAttempt]()
            let result = wordPiece.pieces(of: word.text.scalars) { attempts.append($0) }
            return TracedWord(
                text: word.text.text, span: span, kind: word.kind, pieces: result.pieces.map { vocabulary.tokens[$0.id] },
                attempts: attempts, unknownReason: result.unknown)
        }
        return TokenizationTrace(
            text: text, dialect: configuration.dialect, removedByCleaning: removed, replacedByWhitespace: replaced,
            words: words)
    }
}
