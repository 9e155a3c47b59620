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
    /// Where the special tokens go: the tokenizer.json's post-processor, or BERT's template.
    let template: SpecialTokenTemplate
    /// The tokenizer.json's own truncation limit, if it has one (reported; --max-length decides).
    public let declaredMaxLength: Int?

    init(
        vocabulary: Vocabulary, configuration: TokenizerConfiguration, template: SpecialTokenTemplate?,
        declaredMaxLength: Int?
    ) throws {
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
        self.template = template ?? .bert(
            classId: classTokenId, classToken: configuration.classToken, separatorId: separatorTokenId,
            separatorToken: configuration.separatorToken)
        self.declaredMaxLength = declaredMaxLength
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

    public init(vocabulary: Vocabulary, configuration: TokenizerConfiguration) throws {
        try self.init(vocabulary: vocabulary, configuration: configuration, template: nil, declaredMaxLength: nil)
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
        templatedEncoding(text, pair: pair, maxLength: maxLength)
    }

    /// The WordPiece pieces of one text, aligned to its scalars.
    func pieces(of text: String) -> SequencePieces {
        let scalars = text.unicodeScalars.map(\.value)
        var sequence = SequencePieces(text: text, scalars: scalars)
        for (wordIndex, word) in basic.words(scalars).enumerated() {
            let origins = word.text.origins
            if let special = word.specialTokenId {
                sequence.append(
                    id: special, token: vocabulary.tokens[special],
                    span: TextSpan(origins[0], origins[origins.count - 1] + 1), word: wordIndex)
                continue
            }
            for piece in wordPiece.pieces(of: word.text.scalars).pieces {
                sequence.append(
                    id: piece.id, token: vocabulary.tokens[piece.id],
                    span: TextSpan(origins[piece.start], origins[piece.end - 1] + 1), word: wordIndex)
            }
        }
        return sequence
    }
}
