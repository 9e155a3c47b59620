/// A linear layer `y = x Wᵀ + b`, with W stored [outputs, inputs] as PyTorch stores it.
struct Linear: @unchecked Sendable {
    var weight: UnsafeBufferPointer<Float>
    var bias: UnsafeBufferPointer<Float>
    var outputs: Int
    var inputs: Int

    init(_ checkpoint: Checkpoint, _ prefix: String, outputs: Int, inputs: Int) throws {
        weight = try checkpoint.float32(prefix + ".weight", shape: [outputs, inputs])
        bias = try checkpoint.float32(prefix + ".bias", shape: [outputs])
        self.outputs = outputs
        self.inputs = inputs
    }
}

/// LayerNorm scale and shift.
struct LayerNormWeights: @unchecked Sendable {
    var scale: UnsafeBufferPointer<Float>
    var shift: UnsafeBufferPointer<Float>

    init(_ checkpoint: Checkpoint, _ prefix: String, size: Int) throws {
        scale = try checkpoint.float32(prefix + ".weight", shape: [size])
        shift = try checkpoint.float32(prefix + ".bias", shape: [size])
    }
}

struct EncoderLayerWeights: Sendable {
    var query: Linear
    var key: Linear
    var value: Linear
    var attentionOutput: Linear
    var attentionNorm: LayerNormWeights
    var intermediate: Linear
    var output: Linear
    var outputNorm: LayerNormWeights
}

/// The masked-language-model head: transform (dense, GELU, LayerNorm), then the decoder, which is the
/// word embedding matrix unless the checkpoint has its own.
struct MaskedLMHeadWeights: @unchecked Sendable {
    var transform: Linear
    var norm: LayerNormWeights
    var decoder: UnsafeBufferPointer<Float>
    var bias: UnsafeBufferPointer<Float>
}

/// Every weight of a BERT encoder, checked against its config.
struct BertWeights: @unchecked Sendable {
    var wordEmbeddings: UnsafeBufferPointer<Float>
    var positionEmbeddings: UnsafeBufferPointer<Float>
    var typeEmbeddings: UnsafeBufferPointer<Float>
    var embeddingNorm: LayerNormWeights
    var layers: [EncoderLayerWeights]
    var pooler: Linear?
    var maskedLM: MaskedLMHeadWeights?

    init(_ checkpoint: Checkpoint, config: BertConfig) throws {
        let hidden = config.hiddenSize
        wordEmbeddings = try checkpoint.float32("embeddings.word_embeddings.weight", shape: [config.vocabSize, hidden])
        positionEmbeddings = try checkpoint.float32("embeddings.position_embeddings.weight", shape: [config.maxPositions, hidden])
        typeEmbeddings = try checkpoint.float32("embeddings.token_type_embeddings.weight", shape: [config.typeVocabSize, hidden])
        embeddingNorm = try LayerNormWeights(checkpoint, "embeddings.LayerNorm", size: hidden)
        layers = try (0..<config.layerCount).map { index in
            let prefix = "encoder.layer.\(index)."
            return EncoderLayerWeights(
                query: try Linear(checkpoint, prefix + "attention.self.query", outputs: hidden, inputs: hidden),
                key: try Linear(checkpoint, prefix + "attention.self.key", outputs: hidden, inputs: hidden),
                value: try Linear(checkpoint, prefix + "attention.self.value", outputs: hidden, inputs: hidden),
                attentionOutput: try Linear(checkpoint, prefix + "attention.output.dense", outputs: hidden, inputs: hidden),
                attentionNorm: try LayerNormWeights(checkpoint, prefix + "attention.output.LayerNorm", size: hidden),
                intermediate: try Linear(checkpoint, prefix + "intermediate.dense", outputs: config.intermediateSize, inputs: hidden),
                output: try Linear(checkpoint, prefix + "output.dense", outputs: hidden, inputs: config.intermediateSize),
                outputNorm: try LayerNormWeights(checkpoint, prefix + "output.LayerNorm", size: hidden))
        }
        // The pooler and the MLM head are optional parts of a checkpoint (sentence-transformers drop the
        // pooler); when a part is present, all its tensors must be.
        pooler = checkpoint.contains("pooler.dense.weight")
            ? try Linear(checkpoint, "pooler.dense", outputs: hidden, inputs: hidden) : nil
        if checkpoint.contains("cls.predictions.transform.dense.weight") {
            let decoder = checkpoint.contains("cls.predictions.decoder.weight")
                ? try checkpoint.float32("cls.predictions.decoder.weight", shape: [config.vocabSize, hidden])
                : wordEmbeddings
            let biasName = checkpoint.contains("cls.predictions.bias") ? "cls.predictions.bias" : "cls.predictions.decoder.bias"
            maskedLM = MaskedLMHeadWeights(
                transform: try Linear(checkpoint, "cls.predictions.transform.dense", outputs: hidden, inputs: hidden),
                norm: try LayerNormWeights(checkpoint, "cls.predictions.transform.LayerNorm", size: hidden),
                decoder: decoder,
                bias: try checkpoint.float32(biasName, shape: [config.vocabSize]))
            if checkpoint.contains("cls.predictions.decoder.bias") && biasName != "cls.predictions.decoder.bias" {
                _ = try checkpoint.float32("cls.predictions.decoder.bias", shape: [config.vocabSize])  // a tied copy
            }
        }
    }
}
