/// The pieces of one input text before special tokens are added; both tokenizer families fill it.
struct SequencePieces {
    let text: String
    var ids: [Int] = []
    var tokens: [String] = []
    /// Original scalar spans.
    var spans: [TextSpan] = []
    var wordIds: [Int] = []
    /// UTF-8 offset of each scalar boundary of `text`.
    private var utf8Offsets: [Int] = []

    init(text: String, scalars: [UInt32]) {
        self.text = text
        utf8Offsets.reserveCapacity(scalars.count + 1)
        var offset = 0
        for value in scalars {
            utf8Offsets.append(offset)
            offset += utf8Length(value)
        }
        utf8Offsets.append(offset)
    }

    mutating func append(id: Int, token: String, span: TextSpan, word: Int) {
        ids.append(id)
        tokens.append(token)
        spans.append(span)
        wordIds.append(word)
    }

    func utf8Offset(_ scalarOffset: Int) -> Int { utf8Offsets[scalarOffset] }
}

/// A tokenizer that cuts each text into pieces on its own and then adds its model's special tokens.
protocol TemplatedTokenizer {
    var template: SpecialTokenTemplate { get }
    var unknownTokenId: Int { get }
    func pieces(of text: String) -> SequencePieces
}

extension TemplatedTokenizer {
    func templatedEncoding(_ text: String, pair: String?, maxLength: Int?) -> Encoding {
        var sequences = [pieces(of: text)]
        if let pair { sequences.append(pieces(of: pair)) }
        return template.encoding(of: sequences, maxLength: maxLength, unknownTokenId: unknownTokenId)
    }
}

/// Where a model's special tokens go around one text or a pair: `tokenizers`' TemplateProcessing, a list
/// of items per shape. BERT's `[CLS] A [SEP] B [SEP]` and XLM-R's `<s> A </s> </s> B </s>` are presets of
/// it, and BertProcessing / RobertaProcessing in a tokenizer.json become those presets.
struct SpecialTokenTemplate: Sendable {
    enum Item: Sendable, Equatable {
        /// Special tokens (one name may stand for several ids) and their type id.
        case special(ids: [Int], tokens: [String], typeId: Int)
        /// Input text 0 (`A`) or 1 (`B`) and the type id of its pieces.
        case sequence(Int, typeId: Int)
    }

    var single: [Item]
    var pair: [Item]

    /// `[CLS] A [SEP]` and `[CLS] A [SEP] B [SEP]`, the second text and its separator of type 1.
    static func bert(classId: Int, classToken: String, separatorId: Int, separatorToken: String) -> SpecialTokenTemplate {
        let cls = Item.special(ids: [classId], tokens: [classToken], typeId: 0)
        func sep(_ type: Int) -> Item { .special(ids: [separatorId], tokens: [separatorToken], typeId: type) }
        return SpecialTokenTemplate(
            single: [cls, .sequence(0, typeId: 0), sep(0)],
            pair: [cls, .sequence(0, typeId: 0), sep(0), .sequence(1, typeId: 1), sep(1)])
    }

    /// `<s> A </s>` and `<s> A </s> </s> B </s>`, every type id 0.
    static func roberta(classId: Int, classToken: String, separatorId: Int, separatorToken: String) -> SpecialTokenTemplate {
        let cls = Item.special(ids: [classId], tokens: [classToken], typeId: 0)
        let sep = Item.special(ids: [separatorId], tokens: [separatorToken], typeId: 0)
        return SpecialTokenTemplate(
            single: [cls, .sequence(0, typeId: 0), sep], pair: [cls, .sequence(0, typeId: 0), sep, sep, .sequence(1, typeId: 0), sep])
    }

    func items(sequences: Int) -> [Item] { sequences == 1 ? single : pair }

    func specialCount(sequences: Int) -> Int {
        items(sequences: sequences).reduce(0) {
            if case .special(let ids, _, _) = $1 { return $0 + ids.count }
            return $0
        }
    }

    /// How many pieces of each text fit in `maxLength` positions: Hugging Face's `longest_first` truncation.
    func keptPieceCounts(_ counts: [Int], maxLength: Int?) -> [Int] {
        // Like Hugging Face, a limit that cannot even hold the special tokens truncates nothing.
        let specialCount = specialCount(sequences: counts.count)
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

    /// Truncates the texts to `maxLength` and places them and the special tokens as the template says.
    func encoding(of sequences: [SequencePieces], maxLength: Int?, unknownTokenId: Int) -> Encoding {
        let kept = keptPieceCounts(sequences.map(\.ids.count), maxLength: maxLength)
        var encoding = Encoding(
            texts: sequences.map(\.text), ids: [], tokens: [], offsets: [], byteOffsets: [], wordIds: [],
            typeIds: [], sequenceIds: [], specialTokensMask: [], isUnknown: [],
            truncation: Truncation(maxLength: maxLength, removedPieces: zip(sequences, kept).map { $0.ids.count - $1 }))
        encoding.reserveCapacity(kept.reduce(specialCount(sequences: sequences.count), +))
        for item in items(sequences: sequences.count) {
            switch item {
            case .special(let ids, let tokens, let typeId):
                for (id, token) in zip(ids, tokens) { encoding.appendSpecial(id, token: token, typeId: typeId) }
            case .sequence(let sequence, let typeId):
                let pieces = sequences[sequence]
                for index in 0..<kept[sequence] {
                    let id = pieces.ids[index]
                    let span = pieces.spans[index]
                    encoding.ids.append(id)
                    encoding.tokens.append(pieces.tokens[index])
                    encoding.offsets.append(span)
                    encoding.byteOffsets.append(TextSpan(pieces.utf8Offset(span.start), pieces.utf8Offset(span.end)))
                    encoding.wordIds.append(pieces.wordIds[index])
                    encoding.typeIds.append(typeId)
                    encoding.sequenceIds.append(sequence)
                    encoding.specialTokensMask.append(false)
                    encoding.isUnknown.append(id == unknownTokenId)
                }
            }
        }
        return encoding
    }
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
