import Foundation

/// Test models made on demand from a seed and cached: real tokenizer files with small random weights.
public enum TestModels {
    /// bert-base-multilingual-cased's real vocabulary and tokenizer files with a 2-layer, 32-wide random
    /// encoder (15 MB, made once into the cache): exact mBERT tokenization in end-to-end tests, fast.
    public static func multilingualTiny() throws -> URL {
        let folder = TestPaths.cache.appendingPathComponent("test-assets/mbert-vocab-tiny-v1")
        let weights = folder.appendingPathComponent("model.safetensors")
        if FileManager.default.fileExists(atPath: weights.path) { return folder }
        let staging = folder.deletingLastPathComponent().appendingPathComponent("mbert-vocab-tiny-v1.partial-\(getpid())")
        try? FileManager.default.removeItem(at: staging)
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        for file in ["vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"] {
            try FileManager.default.copyItem(at: TestPaths.multilingualCased.appendingPathComponent(file),
                                             to: staging.appendingPathComponent(file))
        }
        let (vocab, hidden, layers, intermediate, positions) = (119547, 32, 2, 64, 512)
        let config = """
            {"architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu", "vocab_size": \(vocab),
             "hidden_size": \(hidden), "num_hidden_layers": \(layers), "num_attention_heads": 4,
             "intermediate_size": \(intermediate), "max_position_embeddings": \(positions), "type_vocab_size": 2,
             "layer_norm_eps": 1e-12, "pad_token_id": 0}
            """
        try Data(config.utf8).write(to: staging.appendingPathComponent("config.json"))
        var tensors: [(String, [Int])] = [
            ("embeddings.word_embeddings.weight", [vocab, hidden]),
            ("embeddings.position_embeddings.weight", [positions, hidden]),
            ("embeddings.token_type_embeddings.weight", [2, hidden]),
            ("embeddings.LayerNorm.weight", [hidden]), ("embeddings.LayerNorm.bias", [hidden]),
            ("pooler.dense.weight", [hidden, hidden]), ("pooler.dense.bias", [hidden]),
        ]
        for layer in 0..<layers {
            let prefix = "encoder.layer.\(layer)."
            for part in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"] {
                tensors += [(prefix + part + ".weight", [hidden, hidden]), (prefix + part + ".bias", [hidden])]
            }
            tensors += [(prefix + "intermediate.dense.weight", [intermediate, hidden]), (prefix + "intermediate.dense.bias", [intermediate]),
                        (prefix + "output.dense.weight", [hidden, intermediate]), (prefix + "output.dense.bias", [hidden])]
            for norm in ["attention.output.LayerNorm", "output.LayerNorm"] {
                tensors += [(prefix + norm + ".weight", [hidden]), (prefix + norm + ".bias", [hidden])]
            }
        }
        try writeSafetensors(tensors, seed: 7, to: staging.appendingPathComponent("model.safetensors"))
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.moveItem(at: staging, to: folder)
        return folder
    }

    /// Writes F32 tensors filled from a seeded generator (LayerNorm weights near 1).
    public static func writeSafetensors(_ tensors: [(String, [Int])], seed: UInt64, to url: URL) throws {
        var header = "{"
        var offset = 0
        for (index, (name, shape)) in tensors.enumerated() {
            let bytes = shape.reduce(1, *) * 4
            header += "\"\(name)\":{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[\(offset),\(offset + bytes)]}"
            header += index == tensors.count - 1 ? "" : ","
            offset += bytes
        }
        header += "}"
        while (header.utf8.count + 8) % 8 != 0 { header += " " }
        var data = Data()
        var length = UInt64(header.utf8.count).littleEndian
        data.append(Data(bytes: &length, count: 8))
        data.append(Data(header.utf8))
        var random = SplitMix64(seed: seed)
        for (name, shape) in tensors {
            let count = shape.reduce(1, *)
            let isNormWeight = name.hasSuffix("LayerNorm.weight")
            let values = (0..<count).map { _ in isNormWeight ? 1 + 0.1 * random.nextSignedUnit() : 0.3 * random.nextSignedUnit() }
            values.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        try data.write(to: url, options: .atomic)
    }
}
