/// A SentencePiece Unigram tokenizer as XLM-R (and multilingual-e5-small) uses it, giving exactly what
/// Hugging Face `tokenizers` gives for the equivalent tokenizer.json: typed special tokens cut out first,
/// a per-scalar normalization map, runs of spaces collapsed, `▁` for spaces with one prepended, the best
/// segmentation of each `▁` word by piece scores, and `<s> A </s> </s> B </s>` around the texts.
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
    /// Replacement of single scalars (an empty replacement deletes); scalars without an entry stay.
    public let normalization: [UInt32: [UInt32]]
    let segmenter: UnigramSegmenter
    /// The special pieces, matched in the original text before anything else (Hugging Face's added tokens).
    let addedTokens: [AddedToken]

    struct AddedToken {
        var scalars: [UInt32]
        var id: Int
    }

    /// How much less likely than the least likely piece an unknown character is (SentencePiece's `kUnkPenalty`).
    static let unknownPenalty = 10.0
    static let space: UInt32 = 0x20
    /// SentencePiece's word-start mark `▁` (U+2581).
    static let metaspace: UInt32 = 0x2581

    public init(
        pieces: [String], scores: [Float], classTokenId: Int, separatorTokenId: Int, padTokenId: Int,
        unknownTokenId: Int, normalization: [UInt32: [UInt32]]
    ) throws {
        guard !pieces.isEmpty, pieces.count == scores.count else {
            throw TokenizerError.invalidVocabulary(
                "Unigram vocabulary", reason: "\(pieces.count) pieces but \(scores.count) scores")
        }
        for (role, id) in [("class", classTokenId), ("separator", separatorTokenId), ("pad", padTokenId),
                           ("unknown", unknownTokenId)] where !pieces.indices.contains(id) {
            throw TokenizerError.invalidVocabulary(
                "Unigram vocabulary", reason: "the \(role) token's id \(id) is not among its \(pieces.count) pieces")
        }
        // The trie packs scalars into 21 bits, so only real Unicode scalars may come out of normalization.
        if let (source, _) = normalization.first(where: { $0.value.contains { Unicode.Scalar($0) == nil } }) {
            throw TokenizerError.invalidVocabulary(
                "Unigram normalization map", reason: "U+\(String(source, radix: 16, uppercase: true)) maps to a non-scalar")
        }
        self.pieces = pieces
        self.scores = scores
        self.classTokenId = classTokenId
        self.separatorTokenId = separatorTokenId
        self.padTokenId = padTokenId
        self.unknownTokenId = unknownTokenId
        self.normalization = normalization
        maskTokenId = pieces.lastIndex(of: "<mask>")
        let lowest = Double(scores.min() ?? 0)
        segmenter = UnigramSegmenter(
            trie: PieceTrie(pieces: pieces), scores: scores.map(Double.init), unknownTokenId: unknownTokenId,
            unknownScore: lowest - Self.unknownPenalty)
        let specialIds = [classTokenId, padTokenId, separatorTokenId, unknownTokenId] + (maskTokenId.map { [$0] } ?? [])
        addedTokens = Set(specialIds).sorted().map { AddedToken(scalars: pieces[$0].unicodeScalars.map(\.value), id: $0) }
            .filter { !$0.scalars.isEmpty }
    }

    // MARK: Encoding

    /// Tokenizes one text, or a pair, into `<s> text </s>` or `<s> text </s> </s> pair </s>` (type ids all 0).
    /// - Parameter maxLength: positions allowed, special tokens included (`nil` for no limit). Longer input
    ///   is truncated the way Hugging Face's `longest_first` does it, and the cut is reported.
    public func encode(_ text: String, pair: String? = nil, maxLength: Int? = 512) -> Encoding {
        templatedEncoding(text, pair: pair, maxLength: maxLength)
    }

    var template: SpecialTokenTemplate {
        SpecialTokenTemplate(
            classTokenId: classTokenId, classToken: pieces[classTokenId], separatorTokenId: separatorTokenId,
            separatorToken: pieces[separatorTokenId], separatorsBetweenPair: 2, secondTypeId: 0)
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

    /// The words of one text, in order: typed special tokens, and the `▁`-started words of the normalized
    /// text between them.
    func words(_ scalars: [UInt32]) -> [UnigramWord] {
        var words = [UnigramWord]()
        var textStart = 0
        func appendWords(upTo end: Int) {
            let normalized = normalizedWithMetaspace(scalars[textStart..<end])
            var wordStart = 0
            for index in normalized.scalars.indices where index == normalized.scalars.count - 1
                || normalized.scalars[index + 1] == Self.metaspace {
                // Each `▁` begins a word (Hugging Face's Metaspace split, delimiter merged with what follows).
                let range = wordStart..<(index + 1)
                words.append(UnigramWord(
                    scalars: Array(normalized.scalars[range]), origins: Array(normalized.origins[range]),
                    specialTokenId: nil))
                wordStart = index + 1
            }
        }
        var index = 0
        while index < scalars.count {
            guard let added = addedToken(at: index, in: scalars) else {
                index += 1
                continue
            }
            appendWords(upTo: index)
            let range = index..<(index + added.scalars.count)
            words.append(UnigramWord(scalars: added.scalars, origins: Array(range), specialTokenId: added.id))
            index = range.upperBound
            textStart = index
        }
        appendWords(upTo: scalars.count)
        return words
    }

    /// The longest special token starting at `index`, if any.
    private func addedToken(at index: Int, in scalars: [UInt32]) -> AddedToken? {
        var found: AddedToken?
        for added in addedTokens where scalars[index] == added.scalars[0]
            && added.scalars.count > found?.scalars.count ?? 0
            && scalars[index...].starts(with: added.scalars) {
            found = added
        }
        return found
    }

    /// Normalizes a stretch of text between special tokens and marks spaces with `▁`, prepending one
    /// unless the text already starts with a space. Text that normalizes to nothing gets no `▁`.
    ///
    /// Each normalized scalar remembers the original scalar it came from, as Hugging Face aligns them: the
    /// whole replacement of a scalar to that scalar, a collapsed run of spaces to its last space, and the
    /// prepended `▁` to the first scalar.
    func normalizedWithMetaspace(_ text: ArraySlice<UInt32>) -> (scalars: [UInt32], origins: [Int]) {
        var scalars = [UInt32]()
        var origins = [Int]()
        scalars.reserveCapacity(text.count + 1)
        origins.reserveCapacity(text.count + 1)
        for index in text.indices {
            for value in normalization[text[index]] ?? [text[index]] {
                if value == Self.space, scalars.last == Self.space {
                    origins[origins.count - 1] = index
                } else {
                    scalars.append(value)
                    origins.append(index)
                }
            }
        }
        guard !scalars.isEmpty else { return ([], []) }
        for index in scalars.indices where scalars[index] == Self.space { scalars[index] = Self.metaspace }
        if scalars[0] != Self.metaspace {
            scalars.insert(Self.metaspace, at: 0)
            origins.insert(origins[0], at: 0)
        }
        return (scalars, origins)
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
