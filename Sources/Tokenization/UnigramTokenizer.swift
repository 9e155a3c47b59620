/// A SentencePiece Unigram tokenizer as XLM-R (and multilingual-e5-small) uses it, giving exactly what
/// Hugging Face `tokenizers` gives for the same tokenizer.json. It runs the stages of that file in order:
/// added tokens cut out of the raw text first, the normalizer, the pre-tokenizer (Metaspace: `▁` for
/// spaces, one prepended, each `▁` starting a word), the best segmentation of each word by piece scores,
/// and the post-processor's template (`<s> A </s> </s> B </s>`). Every stage keeps each scalar's origin.
///
/// Built from plain values, so that this target depends on no model file format.
public struct UnigramTokenizer: Sendable {
    /// The pieces; an id is an index.
    public let pieces: [String]
    /// Log probability of each piece.
    public let scores: [Float]
    public let classTokenId: Int
    public let separatorTokenId: Int
    public let padTokenId: Int
    public let unknownTokenId: Int
    /// The id of `<mask>`, if the vocabulary has it.
    public let maskTokenId: Int?
    /// An E5S1 file's replacement of single scalars (an empty replacement deletes); `[:]` for a tokenizer
    /// read from tokenizer.json, whose normalizer is `normalizer`.
    public let normalization: [UInt32: [UInt32]]
    /// The tokenizer.json's own truncation limit, if it has one (reported; --max-length decides).
    public let declaredMaxLength: Int?
    let normalizer: Normalizer
    let preTokenizer: PreTokenizer
    let segmenter: UnigramSegmenter
    let template: SpecialTokenTemplate
    /// Tokens matched in the text before the model (Hugging Face's added tokens).
    let addedTokens: AddedTokens

    /// How much less likely than the least likely piece an unknown character is (SentencePiece's `kUnkPenalty`).
    static let unknownPenalty = 10.0
    static let space: UInt32 = 0x20
    /// SentencePiece's word-start mark `▁` (U+2581).
    static let metaspace: UInt32 = 0x2581

    /// XLM-R's tokenizer from an E5S1 file's parts: its per-scalar map, runs of spaces collapsed, Metaspace,
    /// and its special pieces as the added tokens.
    public init(
        pieces: [String], scores: [Float], classTokenId: Int, separatorTokenId: Int, padTokenId: Int,
        unknownTokenId: Int, normalization: [UInt32: [UInt32]]
    ) throws {
        // The trie packs scalars into 21 bits, so only real Unicode scalars may come out of normalization.
        if let (source, _) = normalization.first(where: { $0.value.contains { Unicode.Scalar($0) == nil } }) {
            throw TokenizerError.invalidVocabulary(
                "Unigram normalization map", reason: "U+\(String(source, radix: 16, uppercase: true)) maps to a non-scalar")
        }
        for (role, id) in [("class", classTokenId), ("separator", separatorTokenId)] where !pieces.indices.contains(id) {
            throw TokenizerError.invalidVocabulary(
                "Unigram vocabulary", reason: "the \(role) token's id \(id) is not among its \(pieces.count) pieces")
        }
        let maskTokenId = pieces.lastIndex(of: "<mask>")
        let specialIds = [classTokenId, padTokenId, separatorTokenId, unknownTokenId] + (maskTokenId.map { [$0] } ?? [])
        try self.init(
            pieces: pieces, scores: scores, unknownTokenId: unknownTokenId, padTokenId: padTokenId,
            normalizer: .sequence([.scalarMap(normalization), .replace(TextPattern.spaceRuns, content: [Self.space])]),
            preTokenizer: .metaspace(replacement: Self.metaspace, scheme: .always, split: true),
            template: .roberta(
                classId: classTokenId, classToken: pieces[classTokenId], separatorId: separatorTokenId,
                separatorToken: pieces[separatorTokenId]),
            addedTokens: AddedTokens(Set(specialIds).sorted().filter(pieces.indices.contains).map {
                AddedToken(scalars: pieces[$0].unicodeScalars.map(\.value), id: $0, special: true)
            }),
            normalization: normalization)
    }

    /// A tokenizer of the given stages (what a tokenizer.json declares).
    init(
        pieces: [String], scores: [Float], unknownTokenId: Int, padTokenId: Int, normalizer: Normalizer,
        preTokenizer: PreTokenizer, template: SpecialTokenTemplate, addedTokens: AddedTokens,
        declaredMaxLength: Int? = nil, normalization: [UInt32: [UInt32]] = [:]
    ) throws {
        guard !pieces.isEmpty, pieces.count == scores.count else {
            throw TokenizerError.invalidVocabulary(
                "Unigram vocabulary", reason: "\(pieces.count) pieces but \(scores.count) scores")
        }
        for (role, id) in [("pad", padTokenId), ("unknown", unknownTokenId)] where !pieces.indices.contains(id) {
            throw TokenizerError.invalidVocabulary(
                "Unigram vocabulary", reason: "the \(role) token's id \(id) is not among its \(pieces.count) pieces")
        }
        self.pieces = pieces
        self.scores = scores
        self.padTokenId = padTokenId
        self.unknownTokenId = unknownTokenId
        self.normalization = normalization
        self.declaredMaxLength = declaredMaxLength
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.template = template
        self.addedTokens = addedTokens
        // The template's first special token opens a text and its last one closes it.
        var specials = [Int]()
        for item in template.single { if case .special(let ids, _, _) = item { specials += ids } }
        classTokenId = specials.first ?? unknownTokenId
        separatorTokenId = specials.last ?? unknownTokenId
        maskTokenId = pieces.lastIndex(of: "<mask>")
        let lowest = Double(scores.min() ?? 0)
        segmenter = UnigramSegmenter(
            trie: PieceTrie(pieces: pieces), scores: scores.map(Double.init), unknownTokenId: unknownTokenId,
            unknownScore: lowest - Self.unknownPenalty)
    }

    // MARK: Encoding

    /// Tokenizes one text, or a pair, into `<s> text </s>` or `<s> text </s> </s> pair </s>` (type ids all 0).
    /// - Parameter maxLength: positions allowed, special tokens included (`nil` for no limit). Longer input
    ///   is truncated the way Hugging Face's `longest_first` does it, and the cut is reported.
    public func encode(_ text: String, pair: String? = nil, maxLength: Int? = 512) -> Encoding {
        templatedEncoding(text, pair: pair, maxLength: maxLength)
    }

    func pieces(of text: String) -> SequencePieces {
        let scalars = text.unicodeScalars.map(\.value)
        var sequence = SequencePieces(text: text, scalars: scalars)
        for (wordIndex, word) in words(scalars).enumerated() {
            if let special = word.specialTokenId {
                sequence.append(id: special, token: pieces[special], span: word.span, word: wordIndex)
                continue
            }
            for piece in segmenter.segment(word.scalars[...]) {
                sequence.append(
                    id: piece.id, token: token(piece, in: word),
                    span: TextSpan(word.origins[piece.start], word.origins[piece.end - 1] + 1), word: wordIndex)
            }
        }
        return sequence
    }

    /// A piece's token text; an unknown run shows the text it stands for, as in Hugging Face.
    func token(_ piece: UnigramPiece, in word: UnigramWord) -> String {
        guard piece.isUnknown else { return pieces[piece.id] }
        return String(String.UnicodeScalarView(word.scalars[piece.start..<piece.end].compactMap(Unicode.Scalar.init)))
    }

    // MARK: Words

    /// The words of one text, in order: added tokens, and the words the normalizer and pre-tokenizer make
    /// of the text between them.
    func words(_ scalars: [UInt32]) -> [UnigramWord] {
        addedTokens.split(scalars, normalizer: normalizer).flatMap { segment -> [UnigramWord] in
            if let id = segment.addedTokenId {
                return [UnigramWord(scalars: pieces[id].unicodeScalars.map(\.value), origins: segment.text.origins, specialTokenId: id)]
            }
            return preTokenizer.split([PreToken(text: segment.text, startsText: segment.startsText)]).map {
                UnigramWord(scalars: $0.text.scalars, origins: $0.text.origins, specialTokenId: nil)
            }
        }
    }
}

/// One word of a Unigram text: `▁`-started normalized scalars, or a typed special token.
struct UnigramWord {
    var scalars: [UInt32]
    /// The original scalar each normalized scalar came from.
    var origins: [Int]
    var specialTokenId: Int?

    var span: TextSpan { TextSpan(origins[0], origins[origins.count - 1] + 1) }
}

extension UnigramTokenizer: TextTokenizer, TemplatedTokenizer {
    public var family: TokenizerFamily { .unigram }
    public var pieceCount: Int { pieces.count }
    public func piece(_ id: Int) -> String { pieces[id] }
    public var maskToken: String? { maskTokenId.map { pieces[$0] } }
    public func specialTokenCount(pair: Bool) -> Int { template.specialCount(sequences: pair ? 2 : 1) }
}
