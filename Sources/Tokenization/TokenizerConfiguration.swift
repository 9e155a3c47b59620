import Foundation

/// Which reference implementation's tokenization to reproduce.
public enum Dialect: String, Sendable, CaseIterable, Codable {
    /// Hugging Face's fast tokenizer (`tokenizers`), Unicode tables and CJK range typo included.
    case hf
    /// Google's original `tokenization.py`.
    case google
    /// Spark NLP's `BertEmbeddings`: always decomposes and strips accents, tests CJK per UTF-16 unit.
    case spark

    /// The longest word WordPiece will split; longer words become the unknown token.
    public var defaultMaxInputCharsPerWord: Int { self == .hf ? 100 : 200 }
}

/// Everything that shapes a BERT tokenizer apart from its vocabulary.
public struct TokenizerConfiguration: Sendable, Equatable {
    public var dialect: Dialect = .hf
    public var lowercase = false
    /// `nil` follows `lowercase`, as in Hugging Face and Google.
    public var stripAccents: Bool? = nil
    public var cleanText = true
    public var tokenizeChineseChars = true
    public var maxInputCharsPerWord: Int? = nil
    public var unknownToken = "[UNK]"
    public var classToken = "[CLS]"
    public var separatorToken = "[SEP]"
    public var padToken = "[PAD]"
    public var maskToken = "[MASK]"
    public var continuingSubwordPrefix = "##"
    /// Tokens matched verbatim in the raw text before normalization (Hugging Face's added special tokens).
    public var specialTokens: [String] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    /// Where each setting came from, for `bertscope` to show ("tokenizer.json", "default", ...).
    public var sources: [String: String] = [:]

    public init() {}

    public var effectiveStripAccents: Bool {
        dialect == .spark ? true : (stripAccents ?? lowercase)
    }

    /// tokenizer.json's limit is Hugging Face's setting; Google and Spark hard-code theirs.
    public var effectiveMaxInputCharsPerWord: Int {
        dialect == .hf ? maxInputCharsPerWord ?? dialect.defaultMaxInputCharsPerWord : dialect.defaultMaxInputCharsPerWord
    }

    /// Reads the settings a model folder declares: `tokenizer.json` (what the fast tokenizer runs) first,
    /// then `tokenizer_config.json`; anything missing keeps BERT's default and is recorded as such.
    /// - Parameter tokenizerJSON: the folder's tokenizer.json when the caller has already read it.
    public static func load(
        fromModelFolder folder: URL, dialect: Dialect = .hf, tokenizerJSON: [String: Any]? = nil
    ) throws -> TokenizerConfiguration {
        var configuration = TokenizerConfiguration()
        configuration.dialect = dialect
        let fileManager = FileManager.default
        let tokenizerConfig = folder.appendingPathComponent("tokenizer_config.json")
        if fileManager.fileExists(atPath: tokenizerConfig.path) {
            let object = try readJSONObject(tokenizerConfig)
            configuration.apply(tokenizerConfig: object, source: "tokenizer_config.json")
        }
        if let tokenizerJSON {
            configuration.apply(tokenizerJSON: tokenizerJSON, source: "tokenizer.json")
        } else {
            let url = folder.appendingPathComponent("tokenizer.json")
            if fileManager.fileExists(atPath: url.path) {
                configuration.apply(tokenizerJSON: try readJSONObject(url, stripVocabulary: true), source: "tokenizer.json")
            }
        }
        return configuration
    }

    mutating func apply(tokenizerConfig object: [String: Any], source: String) {
        if let value = object["do_lower_case"] as? Bool { lowercase = value; sources["lowercase"] = source }
        if let value = object["strip_accents"] as? Bool { stripAccents = value; sources["strip_accents"] = source }
        if let value = object["tokenize_chinese_chars"] as? Bool {
            tokenizeChineseChars = value
            sources["tokenize_chinese_chars"] = source
        }
        if let value = Self.tokenContent(object["unk_token"]) { unknownToken = value }
        if let value = Self.tokenContent(object["cls_token"]) { classToken = value }
        if let value = Self.tokenContent(object["sep_token"]) { separatorToken = value }
        if let value = Self.tokenContent(object["pad_token"]) { padToken = value }
        if let value = Self.tokenContent(object["mask_token"]) { maskToken = value }
        if let decoder = object["added_tokens_decoder"] as? [String: Any] {
            specialTokens = decoder.values.compactMap { entry in
                guard let entry = entry as? [String: Any], entry["special"] as? Bool ?? false else { return nil }
                return entry["content"] as? String
            }.sorted()
            sources["special_tokens"] = source
        } else {
            specialTokens = [padToken, unknownToken, classToken, separatorToken, maskToken]
        }
    }

    mutating func apply(tokenizerJSON object: [String: Any], source: String) {
        if let normalizer = object["normalizer"] as? [String: Any], normalizer["type"] as? String == "BertNormalizer" {
            if let value = normalizer["lowercase"] as? Bool { lowercase = value; sources["lowercase"] = source }
            if normalizer.keys.contains("strip_accents") {
                stripAccents = normalizer["strip_accents"] as? Bool
                sources["strip_accents"] = source
            }
            if let value = normalizer["clean_text"] as? Bool { cleanText = value; sources["clean_text"] = source }
            if let value = normalizer["handle_chinese_chars"] as? Bool {
                tokenizeChineseChars = value
                sources["tokenize_chinese_chars"] = source
            }
        }
        if let model = object["model"] as? [String: Any], model["type"] as? String == "WordPiece" {
            if let value = model["max_input_chars_per_word"] as? Int {
                maxInputCharsPerWord = value
                sources["max_input_chars_per_word"] = source
            }
            if let value = model["unk_token"] as? String { unknownToken = value }
            if let value = model["continuing_subword_prefix"] as? String { continuingSubwordPrefix = value }
        }
        if let added = object["added_tokens"] as? [[String: Any]] {
            specialTokens = added.compactMap { entry in
                guard entry["special"] as? Bool ?? false, !(entry["normalized"] as? Bool ?? false) else { return nil }
                return entry["content"] as? String
            }.sorted()
            sources["special_tokens"] = source
        }
    }

    private static func tokenContent(_ value: Any?) -> String? {
        if let text = value as? String { return text }
        return (value as? [String: Any])?["content"] as? String
    }

    private static func readJSONObject(_ url: URL, stripVocabulary: Bool = false) throws -> [String: Any] {
        do {
            var data = try Data(contentsOf: url)
            if stripVocabulary { data = Data(JSONVocabularyStripper.strip(Array(data))) }
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw TokenizerError.invalidConfiguration(url.path, reason: "not a usable tokenizer config: the top level is not a JSON object")
            }
            return object
        } catch let error as TokenizerError {
            throw error
        } catch {
            throw TokenizerError.invalidConfiguration(url.path, reason: "not a usable tokenizer config: \(error.localizedDescription)")
        }
    }
}

/// Why a tokenizer could not be built.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    case unreadableFile(String, reason: String)
    case invalidVocabulary(String, reason: String)
    case invalidConfiguration(String, reason: String)
    case missingToken(String, role: String)
    /// A WordPiece dialect asked of a tokenizer that has only one behaviour (the file's path).
    case dialectNotSupported(Dialect, path: String)
    /// A tokenizer.json stage bertscope does not implement: which stage, its type, the file.
    case unsupportedComponent(String, String, path: String)

    /// The error is about the files (missing, unreadable, damaged), not about what was asked of them.
    public var isAboutFiles: Bool {
        if case .dialectNotSupported = self { return false }
        if case .unsupportedComponent = self { return false }
        return true
    }

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason): return "cannot read \(path): \(reason)"
        case .invalidVocabulary(let path, let reason): return "\(path) is not a usable vocabulary: \(reason)"
        case .invalidConfiguration(let path, let reason): return "\(path): \(reason)"
        case .missingToken(let token, let role):
            return "the vocabulary has no \(role) token \"\(token)\"; check the model folder's vocab.txt"
        case .unsupportedComponent(let stage, let type, let path):
            return "\(path): its \(stage) \(type) is not supported by bertscope (see docs/MODELS.md for what is); "
                + "it is refused rather than approximated"
        case .dialectNotSupported(let dialect, let path):
            return "--dialect \(dialect.rawValue) is a WordPiece (BERT) dialect, and \(path) holds a SentencePiece tokenizer, "
                + "which has one behaviour (Hugging Face's, --dialect hf)"
        }
    }
}
