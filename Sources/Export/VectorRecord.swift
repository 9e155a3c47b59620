import Embeddings
import Tokenization

/// One exported vector with the labels that say what it is: a token's or a word's vector at one layer.
/// The explorer makes these from what a person selected or pinned; `bertscope export` makes them from
/// every text it reads.
public struct VectorRecord: Sendable, Hashable {
    /// The token (for per-token records) or the word.
    public var text: String
    /// The word the token belongs to (the word itself for per-word records; empty for [CLS]/[SEP]).
    public var word: String
    /// The whole input text the vector was computed in.
    public var sentence: String
    /// Which input text: its number in the session or the input file, from 0.
    public var sentenceIndex: Int
    /// The token's position in the encoding ([CLS] is 0); `nil` for per-word records.
    public var tokenIndex: Int?
    /// The word's number in its sentence (a token's word's); `nil` for [CLS]/[SEP]. With `span` it tells
    /// two occurrences of one word apart.
    public var wordIndex: Int?
    /// A language label such as "de", when the person gave one.
    public var language: String?
    /// The layer: "0" (embeddings output) to "N", or "last4" for the sum of the last four.
    public var layer: String
    /// How the word's pieces were pooled ("first", "mean", "max", "sum"), or "none" for a token.
    public var pooling: String
    public var vector: [Float]
    /// Where `text` stands in `sentence`, `[start, end)` in Unicode scalars, when known (Spark NLP's
    /// begin/end are computed from it).
    public var span: TextSpan?
    /// The vocabulary id of the token, or of the word's first piece.
    public var pieceId: Int?
    /// False for a continuation piece ("##s").
    public var isWordStart: Bool
    /// True when the token, or the word's first piece, is the unknown token.
    public var isUnknown: Bool
    /// Where the vector came from, for exports from the explorer (nil from `bertscope export`, whose command
    /// line says it): the model's name, the tokenizer ("dialect hf", "sentencepiece"), and "raw" or "centred".
    public var provenance: Provenance?

    public struct Provenance: Sendable, Hashable {
        public var model: String
        public var tokenizer: String
        public var centring: String
        public init(model: String, tokenizer: String, centring: String) {
            self.model = model
            self.tokenizer = tokenizer
            self.centring = centring
        }
    }

    public init(
        text: String, word: String, sentence: String, sentenceIndex: Int, tokenIndex: Int? = nil, wordIndex: Int? = nil,
        language: String? = nil, layer: String, pooling: String, vector: [Float], span: TextSpan? = nil, pieceId: Int? = nil,
        isWordStart: Bool = true, isUnknown: Bool = false, provenance: Provenance? = nil
    ) {
        self.text = text
        self.word = word
        self.sentence = sentence
        self.sentenceIndex = sentenceIndex
        self.tokenIndex = tokenIndex
        self.wordIndex = wordIndex
        self.language = language
        self.layer = layer
        self.pooling = pooling
        self.vector = vector
        self.span = span
        self.pieceId = pieceId
        self.isWordStart = isWordStart
        self.isUnknown = isUnknown
        self.provenance = provenance
    }
}

/// The file formats an export can be written in.
public enum ExportFormat: String, Sendable, CaseIterable {
    /// One JSON array.
    case json
    /// JSON Lines: one object per line.
    case jsonl
    /// RFC 4180 CSV: one row per vector, labels first, then one column per dimension.
    case csv
    /// NumPy `.npy` (float32, rows x dimensions) with a `.labels.tsv` beside it.
    case npy
    /// A folder for TensorBoard's Embedding Projector: vectors.tsv, metadata.tsv, projector_config.pbtxt.
    case projector
    /// Spark NLP `word_embeddings` annotations, one document per line.
    case spark
    /// One text's attention probabilities as a float32 `.npy` (layers, heads, T, T), `.tokens.json` beside it.
    case attentionNPY = "attention-npy"
    /// Every text's attention probabilities in one JSON array.
    case attentionJSON = "attention-json"
    /// CSV of Clark et al.'s statistics per text, layer and head.
    case headStats = "head-stats"

    /// True for the format that writes a folder rather than a file.
    public var writesFolder: Bool { self == .projector }

    /// True for the formats of attention probabilities rather than vectors: the pass must keep them.
    public var carriesAttention: Bool { [.attentionNPY, .attentionJSON, .headStats].contains(self) }

    /// The formats of vectors (what the explorer's pins export).
    public static var vectorFormats: [ExportFormat] { allCases.filter { !$0.carriesAttention } }
}

extension LayerChoice {
    /// The label exports use: "0"..."N", "last4", or "A-B".
    public var exportLabel: String {
        switch self {
        case .layer(let index): return String(index)
        case .sumOfLastFour: return "last4"
        case .sum(let layers): return "\(layers.lowerBound)-\(layers.upperBound)"
        }
    }
}

extension VectorRecord {
    /// One record per word of input text `sequence` and per layer (layers vary fastest): the tokenizer's words,
    /// or the `words` given (the explorer's linguistic words).
    public static func words(
        of text: EmbeddedText, sequence: Int = 0, words: [Word]? = nil, sentenceIndex: Int, layers: [LayerChoice], pooling: Pooling,
        language: String? = nil
    ) -> [VectorRecord] {
        let encoding = text.encoding
        var records = [VectorRecord]()
        for word in words ?? text.words(sequence: sequence) {
            let first = word.tokens.lowerBound
            for layer in layers {
                records.append(VectorRecord(
                    text: word.text, word: word.text, sentence: encoding.texts[sequence], sentenceIndex: sentenceIndex,
                    wordIndex: word.index, language: language, layer: layer.exportLabel, pooling: pooling.rawValue,
                    vector: text.wordVector(word, layer: layer, pooling: pooling), span: word.span,
                    pieceId: encoding.ids[first], isWordStart: true, isUnknown: encoding.isUnknown[first]))
            }
        }
        return records
    }

    /// One record per token of input text `sequence` (its [CLS] and [SEP] included) and per layer.
    public static func tokens(
        of text: EmbeddedText, sequence: Int = 0, sentenceIndex: Int, layers: [LayerChoice], language: String? = nil
    ) -> [VectorRecord] {
        let encoding = text.encoding
        var wordOfToken = [Int: Word]()
        for word in text.words(sequence: sequence) {
            for token in word.tokens { wordOfToken[token] = word }
        }
        var records = [VectorRecord]()
        for token in 0..<encoding.count where encoding.sequenceIds[token] == sequence || isOwnSpecial(token, sequence, encoding) {
            let word = wordOfToken[token]
            for layer in layers {
                records.append(VectorRecord(
                    text: encoding.tokens[token], word: word?.text ?? "", sentence: encoding.texts[sequence], sentenceIndex: sentenceIndex,
                    tokenIndex: token, wordIndex: word?.index, language: language, layer: layer.exportLabel, pooling: "none",
                    vector: text.pieceVector(token, layer: layer), span: word == nil ? nil : encoding.offsets[token],
                    pieceId: encoding.ids[token], isWordStart: word?.tokens.lowerBound == token, isUnknown: encoding.isUnknown[token]))
            }
        }
        return records
    }

    /// [CLS] and the first [SEP] belong to the first text; the last [SEP] of a pair to the second.
    private static func isOwnSpecial(_ token: Int, _ sequence: Int, _ encoding: Encoding) -> Bool {
        guard encoding.sequenceIds[token] == nil else { return false }
        return encoding.typeIds[token] == sequence
    }
}
