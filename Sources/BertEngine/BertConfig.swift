import Foundation

/// The architecture numbers of a BERT encoder, from a Hugging Face `config.json`.
public struct BertConfig: Sendable, Equatable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var intermediateSize: Int
    public var maxPositions: Int
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

    /// Reads `config.json`. BERT's defaults fill missing optional fields (and are listed in
    /// `defaultedFields`); a model that is not a BERT encoder is refused.
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
        let supported = ["bert", "e5"]
        if let modelType, !supported.contains(modelType) {
            throw EngineError.invalidConfig(path, "model_type is \"\(modelType)\"; bertscope runs BERT encoders (model_type \"bert\")")
        }
        if let activation = object["hidden_act"] as? String, activation != "gelu" {
            throw EngineError.invalidConfig(path, "hidden_act is \"\(activation)\"; bertscope implements BERT's erf GELU (\"gelu\")")
        }
        var defaulted = [String]()
        func integer(_ key: String, default value: Int?) throws -> Int {
            if let number = object[key] as? Int { return number }
            if object[key] != nil { throw EngineError.invalidConfig(path, "\(key) is not an integer") }
            guard let value else { throw EngineError.invalidConfig(path, "\(key) is missing") }
            defaulted.append(key)
            return value
        }
        self.init(
            vocabSize: try integer("vocab_size", default: nil),
            hiddenSize: try integer("hidden_size", default: 768),
            layerCount: try integer("num_hidden_layers", default: 12),
            headCount: try integer("num_attention_heads", default: 12),
            intermediateSize: try integer("intermediate_size", default: 3072),
            maxPositions: try integer("max_position_embeddings", default: 512),
            typeVocabSize: try integer("type_vocab_size", default: 2),
            layerNormEpsilon: 1e-12,
            padTokenId: try integer("pad_token_id", default: 0))
        if let epsilon = object["layer_norm_eps"] as? Double {
            layerNormEpsilon = Float(epsilon)
        } else {
            defaulted.append("layer_norm_eps")
        }
        defaultedFields = defaulted
        for (name, value) in [("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("num_hidden_layers", layerCount),
                              ("num_attention_heads", headCount), ("intermediate_size", intermediateSize),
                              ("max_position_embeddings", maxPositions), ("type_vocab_size", typeVocabSize)]
        where value <= 0 || value > 1 << 22 {
            throw EngineError.invalidConfig(path, "\(name) is \(value), outside 1...\(1 << 22)")
        }
        if hiddenSize % headCount != 0 {
            throw EngineError.invalidConfig(path, "hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(headCount)")
        }
    }
}
