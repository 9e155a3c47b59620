/// The two ways bertscope's models cut text into pieces.
public enum TokenizerFamily: String, Sendable {
    /// BERT's WordPiece: greedy longest match, `##` marks a word's continuation.
    case wordPiece = "wordpiece"
    /// SentencePiece Unigram (XLM-R): best-scoring segmentation, `▁` marks a word's start.
    case unigram
}

/// What every consumer of a tokenizer needs, whichever family it is.
public protocol TextTokenizer: Sendable {
    var family: TokenizerFamily { get }
    /// Tokenizes one text, or a pair, with the model's special tokens; `maxLength` counts every position
    /// (special tokens included, `nil` for no limit) and truncates like Hugging Face's `longest_first`.
    func encode(_ text: String, pair: String?, maxLength: Int?) -> Encoding
    /// Every stage of tokenizing `text`, for the "why" view.
    func trace(_ text: String) -> TokenizationTrace
    /// Number of pieces; ids are `0..<pieceCount`.
    var pieceCount: Int { get }
    /// The token text of an id.
    func piece(_ id: Int) -> String
    var maskTokenId: Int? { get }
    var maskToken: String? { get }
    /// Special tokens the template adds: 2 for one text; for a pair 3 ([CLS] A [SEP] B [SEP]) or 4
    /// (<s> A </s></s> B </s>).
    func specialTokenCount(pair: Bool) -> Int
    /// The truncation limit the tokenizer's file declares, if any: shown, while `--max-length` decides.
    var declaredMaxLength: Int? { get }
}

extension TextTokenizer {
    /// One text, no pair, truncated to BERT's 512 positions.
    public func encode(_ text: String) -> Encoding { encode(text, pair: nil, maxLength: 512) }
}

extension BertTokenizer: TextTokenizer, TemplatedTokenizer {
    public var family: TokenizerFamily { .wordPiece }
    public var pieceCount: Int { vocabulary.tokens.count }
    public func piece(_ id: Int) -> String { vocabulary.tokens[id] }
    public var maskToken: String? { maskTokenId.map { vocabulary.tokens[$0] } }
    public func specialTokenCount(pair: Bool) -> Int { template.specialCount(sequences: pair ? 2 : 1) }
}
