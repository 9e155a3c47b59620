/// Every stage of tokenizing one text, for the "why was this split / why is this [UNK]" view.
public struct TokenizationTrace: Sendable, Hashable {
    public var text: String
    public var family: TokenizerFamily = .wordPiece
    /// The WordPiece dialect; a Unigram tokenizer always follows Hugging Face (`.hf`).
    public var dialect: Dialect
    /// Original scalar indices deleted by cleaning (controls, format characters, NUL, U+FFFD, ...), or by
    /// the Unigram normalization map.
    public var removedByCleaning: [Int]
    /// Original scalar indices turned into plain spaces by cleaning or by the Unigram normalization map.
    public var replacedByWhitespace: [Int]
    /// Every other scalar the Unigram normalization map replaced (`ﬁ` → `fi`, full-width → ASCII, ...);
    /// empty for WordPiece, whose lowercasing and accent stripping show in each word's text.
    public var replacedByNormalization: [ScalarReplacement] = []
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
    /// Why the word became the unknown token, if it did (WordPiece).
    public var unknownReason: UnknownReason?
    /// The best segmentation with each piece's score (Unigram); unknown runs are marked.
    public var scoredPieces: [ScoredPiece] = []
}

/// One original scalar and what normalization made of it.
public struct ScalarReplacement: Sendable, Hashable {
    /// Index of the scalar in the original text.
    public var index: Int
    public var replacement: String
}

/// One piece of a Unigram segmentation and why it won.
public struct ScoredPiece: Sendable, Hashable {
    public var piece: String
    public var id: Int
    /// Its span in the word's normalized text, in scalars.
    public var span: TextSpan
    /// Log probability; for an unknown run, the unknown score (lowest piece score − 10) per character.
    public var score: Double
    /// Characters no piece covers, fused into one unknown token.
    public var isUnknown: Bool
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

extension UnigramTokenizer {
    /// Runs the tokenizer on `text` and records what normalization changed and how each word was segmented.
    public func trace(_ text: String) -> TokenizationTrace {
        let scalars = text.unicodeScalars.map(\.value)
        var trace = TokenizationTrace(
            text: text, family: .unigram, dialect: .hf, removedByCleaning: [], replacedByWhitespace: [], words: [])
        for (index, value) in scalars.enumerated() {
            // What normalization makes of each scalar alone; rules across scalars show in the words' text.
            let replacement = normalizer.normalize(AlignedScalars(scalars: [value], origins: [0])).scalars
            guard replacement != [value] else { continue }
            if replacement.isEmpty {
                trace.removedByCleaning.append(index)
            } else if replacement == [Self.space] {
                trace.replacedByWhitespace.append(index)
            } else {
                trace.replacedByNormalization.append(ScalarReplacement(
                    index: index,
                    replacement: String(String.UnicodeScalarView(replacement.compactMap(Unicode.Scalar.init)))))
            }
        }
        trace.words = words(scalars).map { word in
            let wordText = String(String.UnicodeScalarView(word.scalars.compactMap(Unicode.Scalar.init)))
            if let special = word.specialTokenId {
                return TracedWord(
                    text: wordText, span: word.span, kind: .specialToken, pieces: [pieces[special]], attempts: [],
                    unknownReason: nil)
            }
            let segmentation = segmenter.segment(word.scalars[...])
            let scored = segmentation.map {
                ScoredPiece(
                    piece: token($0, in: word), id: $0.id, span: TextSpan($0.start, $0.end), score: $0.score,
                    isUnknown: $0.isUnknown)
            }
            return TracedWord(
                text: wordText, span: word.span, kind: .word, pieces: scored.map(\.piece), attempts: [],
                unknownReason: nil, scoredPieces: scored)
        }
        return trace
    }
}
