extension Checkpoint {
    /// Every encoder and pooler tensor of `config`, filled from a seeded generator: the full model shape
    /// without its checkpoint, for benchmarks. Weights are uniform with BERT's 0.02 standard deviation,
    /// LayerNorm scales near 1, so activations stay in a realistic range.
    public static func random(config: BertConfig, seed: UInt64) -> Checkpoint {
        let checkpoint = Checkpoint(origin: "random weights (seed \(seed))")
        var generator = SeededGenerator(seed: seed)
        let hidden = config.hiddenSize
        func add(_ name: String, _ shape: [Int], center: Float = 0, spread: Float = 0.02 * Float(3).squareRoot()) {
            let buffer = checkpoint.allocate(shape.reduce(1, *))
            for index in buffer.indices { buffer[index] = center + spread * generator.nextSignedUnit() }
            checkpoint.insert(name, .floats(UnsafeBufferPointer(buffer), shape: shape))
        }
        func linear(_ prefix: String, outputs: Int, inputs: Int) {
            add(prefix + ".weight", [outputs, inputs])
            add(prefix + ".bias", [outputs])
        }
        func norm(_ prefix: String) {
            add(prefix + ".weight", [hidden], center: 1, spread: 0.05)
            add(prefix + ".bias", [hidden])
        }
        add("embeddings.word_embeddings.weight", [config.vocabSize, hidden])
        add("embeddings.position_embeddings.weight", [config.maxPositions, hidden])
        if config.typeVocabSize > 0 { add("embeddings.token_type_embeddings.weight", [config.typeVocabSize, hidden]) }
        norm("embeddings.LayerNorm")
        for layer in 0..<config.layerCount {
            let prefix = "encoder.layer.\(layer)."
            for part in ["query", "key", "value"] { linear(prefix + "attention.self." + part, outputs: hidden, inputs: hidden) }
            linear(prefix + "attention.output.dense", outputs: hidden, inputs: hidden)
            norm(prefix + "attention.output.LayerNorm")
            linear(prefix + "intermediate.dense", outputs: config.intermediateSize, inputs: hidden)
            linear(prefix + "output.dense", outputs: hidden, inputs: config.intermediateSize)
            norm(prefix + "output.LayerNorm")
        }
        linear("pooler.dense", outputs: hidden, inputs: hidden)
        return checkpoint
    }
}

/// SplitMix64: small, fast, and the same sequence on every platform.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    mutating func nextSignedUnit() -> Float {
        Float(next() >> 40) * (2 / Float(1 << 24)) - 1
    }
}
