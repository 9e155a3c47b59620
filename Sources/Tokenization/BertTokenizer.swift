import Foundation

/// A BERT WordPiece tokenizer: text in, `Encoding` out, exactly as the configured dialect does it.
public struct BertTokenizer: Sendable {
    public let vocabulary: Vocabulary
    public let configuration: TokenizerConfiguration
    let basic: BasicTokenizer
    let wordPiece: WordPiece
    public let classTokenId: Int
    public let separatorTokenId: Int
    public let unknownTokenId: Int
    public let padTokenId: Int
    public let maskTokenId: Int?

    public init(vocabulary: Vocabulary, configuration: TokenizerConfiguration) throws {
        func requiredId(_ token: String, role: String) throws -> Int {
            guard let id = vocabulary.id(of: token) else { throw TokenizerError.missingToken(token, role: role) }
            return id
        }
        self.vocabulary = vocabulary
        self.configuration = configuration
        unknownTokenId = try requiredId(configuration.unknownToken, role: "unknown")
        classTokenId = try requiredId(configuration.classToken, role: "class")
        separatorTokenId = try requiredId(configuration.separatorToken, role: "separator")
        padTokenId = vocabulary.id(of: configuration.padToken) ?? 0
        maskTokenId = vocabulary.id(of: configuration.maskToken)
        let classifier: CharacterClassifier
        switch configuration.dialect {
        case .hf: classifier = .huggingFace
        case .google: classifier = .google
        case .spark: classifier = .spark
        }
        basic = BasicTokenizer(configuration: configuration, classifier: classifier, vocabulary: vocabulary)
        wordPiece = WordPiece(
            vocabulary: vocabulary, unknownId: unknownTokenId,
            continuationPrefix: Array(configuration.continuingSubwordPrefix.utf8),
            maxInputCharsPerWord: configuration.effectiveMaxInputCharsPerWord, dialect: configuration.dialect)
    }

    /// Loads `vocab.txt` and the tokenizer settings of a model folder.
    public init(modelFolder: URL, dialect: Dialect = .hf) throws {
        let vocabularyURL = modelFolder.appendingPathComponent("vocab.txt")
        guard FileManager.default.fileExists(atPath: vocabularyURL.path) else {
            throw TokenizerError.unreadableFile(
                vocabularyURL.path, reason: "no such file; a BERT model folder holds vocab.txt next to config.json")
        }
        try self.init(
            vocabulary: Vocabulary(contentsOf: vocabularyURL),
            configuration: TokenizerConfiguration.load(fromModelFolder: modelFolder, dialect: dialect))
    }

    // MARK: Encoding

    /// Tokenizes one text, or a pair, into `[CLS] text [SEP]` or `[CLS] text [SEP] pair [SEP]`.
    /// - Parameter maxLength: positions allowed, special tokens included (`nil` for no limit). Longer input
    ///   is truncated the way Hugging Face's `longest_first` does it, and the cut is reported.
    public func encode(_ text: String, pair: String? = nil, maxLength: Int? = 512) -> Encoding {
        var sequences = [SequencePieces(text, tokenizer: self)]
        if let pair { sequences.append(SequencePieces(pair, tokenizer: self)) }
        let kept = keptPieceCounts(sequences.map(\.ids.count), maxLength: maxLength)

        var encoding = Encoding(
            texts: sequences.map(\.text), ids: [], tokens: [], offsets: [], byteOffsets: [], wordIds: [],
            typeIds: [], sequenceIds: [], specialTokensMask: [], isUnknown: [],
            truncation: Truncation(maxLength: maxLength, removedPieces: zip(sequences, kept).map { $0.ids.count - $1 }))
        let capacity = kept.reduce(sequences.count + 1, +)
        encoding.reserveCapacity(capacity)
        encoding.appendSpecial(classTokenId, token: configuration.classToken, typeId: 0)
        for (sequence, (pieces, count)) in zip(sequences, kept).enumerated() {
            for index in 0..<count {
                let id = pieces.ids[index]
                let span = pieces.spans[index]
                encoding.ids.append(id)
                encoding.tokens.append(vocabulary.tokens[id])
                encoding.offsets.append(span)
                encoding.byteOffsets.append(TextSpan(pieces.utf8Offset(span.start), pieces.utf8Offset(span.end)))
                encoding.wordIds.append(pieces.wordIds[index])
                encoding.typeIds.append(sequence)
                encoding.sequenceIds.append(sequence)
                encoding.specialTokensMask.append(false)
                encoding.isUnknown.append(id == unknownTokenId)
            }
            encoding.appendSpecial(separatorTokenId, token: configuration.separatorToken, typeId: sequence)
        }
        return encoding
    }

    /// How many pieces of each text fit: Hugging Face's `longest_first` truncation.
    func keptPieceCounts(_ counts: [Int], maxLength: Int?) -> [Int] {
        // Like Hugging Face, a limit that cannot even hold the special tokens truncates nothing.
        let specialCount = counts.count + 1
        guard let maxLength, maxLength >= specialCount else { return counts }
        let budget = maxLength - specialCount
        guard counts.reduce(0, +) > budget else { return counts }
        if counts.count == 1 { return [budget] }
        // Give the shorter text all it needs if the longer one still gets as much; else split evenly,
        // the odd position going to the second text's share.
        var (short, long) = (min(counts[0], counts[1]), max(counts[0], counts[1]))
        long = short > budget ? short : max(short, budget - short)
        if short + long > budget {
            short = budget / 2
            long = short + budget % 2
        }
        return counts[0] > counts[1] ? [long, short] : [short, long]
    }
}

/// The pieces of one input text before special tokens are added.
struct SequencePieces {
    let text: String
    var ids: [Int] = []
    /// Original scalar spans.
    var spans: [TextSpan] = []
    var wordIds: [Int] = []
    /// UTF-8 offset of each scalar boundary of `text`.
    private var utf8Offsets: [Int] = []

    init(_ text: String, tokenizer: BertTokenizer) {
        self.text = text
        let scalars = text.unicodeScalars.map(\.value)
        utf8Offsets.reserveCapacity(scalars.count + 1)
        var offset = 0
        for value in scalars {
            utf8Offsets.append(offset)
            offset += utf8Length(value)
        }
        utf8Offsets.append(offset)
        for (wordIndex, word) in tokenizer.basic.words(scalars).enumerated() {
            let origins = word.text.origins
            if let special = word.specialTokenId {
                append(id: special, span: TextSpan(origins[0], origins[origins.count - 1] + 1), word: wordIndex)
                continue
            }
            for piece in tokenizer.wordPiece.pieces(of: word.text.scalars).pieces {
                append(id: piece.id, span: TextSpan(origins[piece.start], origins[piece.end - 1] + 1), word: wordIndex)
            }
        }
    }

    private mutating func append(id: Int, span: TextSpan, word: Int) {
        ids.append(id)
        spans.append(span)
        wordIds.append(word)
    }

    func utf8Offset(_ scalarOffset: Int) -> Int { utf8Offsets[scalarOffset] }
}

extension Encoding {
    mutating func reserveCapacity(_ capacity: Int) {
        ids.reserveCapacity(capacity)
        tokens.reserveCapacity(capacity)
        offsets.reserveCapacity(capacity)
        byteOffsets.reserveCapacity(capacity)
        wordIds.reserveCapacity(capacity)
        typeIds.reserveCapacity(capacity)
        sequenceIds.reserveCapacity(capacity)
        specialTokensMask.reserveCapacity(capacity)
        isUnknown.reserveCapacity(capacity)
    }

    mutating func appendSpecial(_ id: Int, token: String, typeId: Int) {
        ids.append(id)
        tokens.append(token)
        offsets.append(.empty)
        byteOffsets.append(.empty)
        wordIds.append(nil)
        typeIds.append(typeId)
        sequenceIds.append(nil)
        specialTokensMask.append(true)
        isUnknown.append(false)
    }
}
