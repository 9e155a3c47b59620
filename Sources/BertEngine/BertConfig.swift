import Foundation

/// The architecture numbers of a BERT-family encoder, from a Hugging Face `config.json`, and the
/// family (`Architecture`) whose rules they follow.
public struct BertConfig: Sendable, Equatable {
    public var architecture: Architecture = .bert
    /// Which position embedding each token reads (the family's rule, with its padding id).
    public var positions: PositionRule = .index
    public var vocabSize: Int
    public var hiddenSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var intermediateSize: Int
    public var maxPositions: Int
    /// 0 for a family without token types (DistilBERT): then the inputs' type ids are not used.
    public var typeVocabSize: Int
    public var layerNormEpsilon: Float
    public var padTokenId: Int
    /// Fields that were missing and took BERT's defaults, for the caller to mention.
    public var defaultedFields: [String] = []

    public init(
        vocabSize: Int, hiddenSize: Int, layerCount: Int, headCount: Int, intermediateSize: Int,
        maxPositions: Int = 512, typeVocabSize: Int = 2, layerNormEpsilon: Float = 1e-12, padTokenId: Int = 0
    ) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.intermediateSize = intermediateSize
        self.maxPositions = maxPositions
        self.typeVocabSize = typeVocabSize
        self.layerNormEpsilon = layerNormEpsilon
        self.padTokenId = padTokenId
    }

    public var headSize: Int { hiddenSize / headCount }

    /// Parameters of the encoder and pooler (heads not counted).
    public var parameterCount: Int {
        let embeddings = (vocabSize + maxPositions + typeVocabSize) * hiddenSize + 2 * hiddenSize
        let attention = 4 * (hiddenSize * hiddenSize + hiddenSize) + 2 * hiddenSize
        let feedForward = 2 * hiddenSize * intermediateSize + intermediateSize + hiddenSize + 2 * hiddenSize
        return embeddings + layerCount * (attention + feedForward) + hiddenSize * hiddenSize + hiddenSize
    }

    /// The most tokens a sequence can have.
    public var longestSequence: Int { positions.longestSequence(positions: maxPositions) }

    /// Reads `config.json`. The family's defaults fill missing optional fields (and are listed in
    /// `defaultedFields`); a `model_type` bertscope does not run is refused.
    public static func load(_ url: URL) throws -> BertConfig {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw EngineError.invalidConfig(url.path, "no such file; a BERT model folder holds config.json next to vocab.txt and model.safetensors")
        }
        let object: [String: Any]
        do {
            let data = try Data(contentsOf: url)
            guard let parsed = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw EngineError.invalidConfig(url.path, "the top level is not a JSON object")
            }
            object = parsed
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError.invalidConfig(url.path, "cannot read it as JSON (\(error.localizedDescription))")
        }
        return try BertConfig(json: object, path: url.path)
    }

    init(json object: [String: Any], path: String) throws {
        let modelType = object["model_type"] as? String
        guard let architecture = Architecture.named(modelType) else {
            let supported = Architecture.registered.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            throw EngineError.invalidConfig(
                path, "model_type is \"\(modelType ?? "")\"; bertscope runs the encoder families \(supported) (see docs/MODELS.md)")
        }
        var reader = ConfigReader(object, path: path)
        self = try architecture.decodeConfig(&reader)
        self.architecture = architecture
        defaultedFields = reader.defaulted
        for (name, value) in [("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("num_hidden_layers", layerCount),
                              ("num_attention_heads", headCount), ("intermediate_size", intermediateSize),
                              ("max_position_embeddings", maxPositions)]
        where value <= 0 || value > 1 << 22 {
            throw EngineError.invalidConfig(path, "\(name) is \(value), outside 1...\(1 << 22)")
        }
        if typeVocabSize < 0 || typeVocabSize > 1 << 22 || (typeVocabSize == 0 && architecture != .distilBERT) {
            throw EngineError.invalidConfig(path, "type_vocab_size is \(typeVocabSize), outside 1...\(1 << 22)")
        }
        if case .afterPadding(let paddingId) = positions, paddingId < 0 {
            throw EngineError.invalidConfig(path, "pad_token_id is \(paddingId); positions start after it, so it must be 0 or more")
        }
        if longestSequence <= 0 {
            throw EngineError.invalidConfig(
                path, "max_position_embeddings \(maxPositions) leaves no position for tokens (positions start after pad_token_id \(padTokenId))")
        }
        if hiddenSize % headCount != 0 {
            throw EngineError.invalidConfig(path, "hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(headCount)")
        }
    }
}
