import CKernels
import Foundation

/// A linear layer `y = x Wᵀ + b`, W [outputs, inputs] as PyTorch stores it, kept in the storage its
/// `WeightMatrix` chose (packed f32 today).
struct Linear: @unchecked Sendable {
    var weight: WeightMatrix
    var bias: UnsafeBufferPointer<Float>
    var outputs: Int { weight.outputs }
    var inputs: Int { weight.inputs }

    /// Several layers with the same input as one, outputs stacked in order (query, key, value → QKV):
    /// one matrix product instead of several, over the same packed panels. Checks the tensors now and
    /// adds the packing to `packing`, which `BertWeights` runs once everything is checked.
    init(_ checkpoint: Checkpoint, parts prefixes: [String], outputs: Int, inputs: Int, arena: WeightArena,
         packing: inout [WeightPacking]) throws {
        let weights = try prefixes.map { try checkpoint.float32($0 + ".weight", shape: [outputs, inputs]) }
        let biases = try prefixes.map { try checkpoint.float32($0 + ".bias", shape: [outputs]) }
        weight = WeightMatrix(outputs: outputs * prefixes.count, inputs: inputs, arena: arena)
        if biases.count == 1 {
            bias = biases[0]
        } else {
            let joined = arena.allocate(outputs * biases.count)
            for (index, part) in biases.enumerated() { (joined + index * outputs).update(from: part.baseAddress!, count: outputs) }
            bias = UnsafeBufferPointer(start: joined, count: outputs * biases.count)
        }
        packing.append(WeightPacking(
            matrix: weight,
            rows: weights.flatMap { part in (0..<outputs).map { part.baseAddress! + $0 * inputs } },
            mappedPages: zip(prefixes, weights).compactMap { checkpoint.mappedPages($0 + ".weight", $1) }))
    }
}

/// A matrix to pack once every tensor has been checked: its rows in the checkpoint, and the pages of
/// the mapped file it was read from, given back to the OS afterwards (the forward pass only reads the
/// packed copy, and untouched file pages do not count towards resident memory).
struct WeightPacking: @unchecked Sendable {
    let matrix: WeightMatrix
    let rows: [UnsafePointer<Float>]
    let mappedPages: [UnsafeMutableRawBufferPointer]

    func run(kernels: KernelSet) {
        matrix.pack(rows: rows, kernels: kernels)
        for pages in mappedPages { madvise(pages.baseAddress, pages.count, MADV_DONTNEED) }
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
    /// Query, key and value fused: output columns [0, H) are Q, [H, 2H) K, [2H, 3H) V.
    var queryKeyValue: Linear
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
    /// Owns the packed matrices.
    let arena: WeightArena
    var wordEmbeddings: UnsafeBufferPointer<Float>
    var positionEmbeddings: UnsafeBufferPointer<Float>
    var typeEmbeddings: UnsafeBufferPointer<Float>
    var embeddingNorm: LayerNormWeights
    var layers: [EncoderLayerWeights]
    var pooler: Linear?
    var maskedLM: MaskedLMHeadWeights?

    /// Checks every tensor against `config` and packs the matrices with `kernels`.
    init(_ checkpoint: Checkpoint, config: BertConfig, kernels: KernelSet) throws {
        let hidden = config.hiddenSize
        wordEmbeddings = try checkpoint.float32("embeddings.word_embeddings.weight", shape: [config.vocabSize, hidden])
        positionEmbeddings = try checkpoint.float32("embeddings.position_embeddings.weight", shape: [config.maxPositions, hidden])
        typeEmbeddings = try checkpoint.float32("embeddings.token_type_embeddings.weight", shape: [config.typeVocabSize, hidden])
        embeddingNorm = try LayerNormWeights(checkpoint, "embeddings.LayerNorm", size: hidden)
        let hasPooler = checkpoint.contains("pooler.dense.weight")
        let hasMaskedLM = checkpoint.contains("cls.predictions.transform.dense.weight")
        let intermediate = config.intermediateSize
        let perLayer = [ck_packed_floats(3 * hidden, hidden), 3 * hidden, ck_packed_floats(hidden, hidden),
                        ck_packed_floats(intermediate, hidden), ck_packed_floats(hidden, intermediate)]
        let heads = (hasPooler ? 1 : 0) + (hasMaskedLM ? 1 : 0)
        let arena = WeightArena(allocations: Array(repeating: perLayer, count: config.layerCount).flatMap { $0 }
            + Array(repeating: ck_packed_floats(hidden, hidden), count: heads))
        self.arena = arena
        var packing = [WeightPacking]()
        func linear(_ prefix: String, outputs: Int, inputs: Int) throws -> Linear {
            try Linear(checkpoint, parts: [prefix], outputs: outputs, inputs: inputs, arena: arena, packing: &packing)
        }
        layers = try (0..<config.layerCount).map { index in
            let prefix = "encoder.layer.\(index)."
            return EncoderLayerWeights(
                queryKeyValue: try Linear(
                    checkpoint, parts: ["query", "key", "value"].map { prefix + "attention.self." + $0 }, outputs: hidden,
                    inputs: hidden, arena: arena, packing: &packing),
                attentionOutput: try linear(prefix + "attention.output.dense", outputs: hidden, inputs: hidden),
                attentionNorm: try LayerNormWeights(checkpoint, prefix + "attention.output.LayerNorm", size: hidden),
                intermediate: try linear(prefix + "intermediate.dense", outputs: intermediate, inputs: hidden),
                output: try linear(prefix + "output.dense", outputs: hidden, inputs: intermediate),
                outputNorm: try LayerNormWeights(checkpoint, prefix + "output.LayerNorm", size: hidden))
        }
        // The pooler and the MLM head are optional parts of a checkpoint (sentence-transformers drop the
        // pooler); when a part is present, all its tensors must be.
        pooler = hasPooler ? try linear("pooler.dense", outputs: hidden, inputs: hidden) : nil
        if hasMaskedLM {
            let decoder = checkpoint.contains("cls.predictions.decoder.weight")
                ? try checkpoint.float32("cls.predictions.decoder.weight", shape: [config.vocabSize, hidden])
                : wordEmbeddings
            let biasName = checkpoint.contains("cls.predictions.bias") ? "cls.predictions.bias" : "cls.predictions.decoder.bias"
            maskedLM = MaskedLMHeadWeights(
                transform: try linear("cls.predictions.transform.dense", outputs: hidden, inputs: hidden),
                norm: try LayerNormWeights(checkpoint, "cls.predictions.transform.LayerNorm", size: hidden),
                decoder: decoder,
                bias: try checkpoint.float32(biasName, shape: [config.vocabSize]))
            if checkpoint.contains("cls.predictions.decoder.bias") && biasName != "cls.predictions.decoder.bias" {
                _ = try checkpoint.float32("cls.predictions.decoder.bias", shape: [config.vocabSize])  // a tied copy
            }
        }
        // Packing reads every weight once and writes the copy: memory-bound work that a few threads share.
        let jobs = packing
        parallelFor(jobs.count, workers: min(4, ProcessInfo.processInfo.activeProcessorCount)) { item, _ in
            jobs[item].run(kernels: kernels)
        }
    }
}

extension Checkpoint {
    /// The whole pages of a tensor that is used in place from the mapped file, or nil when the tensor
    /// lives in memory the checkpoint owns (converted or generated), which must be kept.
    func mappedPages(_ name: String, _ buffer: UnsafeBufferPointer<Float>) -> UnsafeMutableRawBufferPointer? {
        guard case .file(let file, let entry, _)? = sources[name], entry.dtype == .F32,
              let fileStart = file.bytes.baseAddress, let start = buffer.baseAddress.map(UnsafeRawPointer.init),
              start >= fileStart, start + buffer.count * 4 <= fileStart + file.bytes.count
        else { return nil }
        let page = Int(getpagesize())
        let first = (Int(bitPattern: start) + page - 1) / page * page
        let end = (Int(bitPattern: start) + buffer.count * 4) / page * page
        guard end > first, let address = UnsafeMutableRawPointer(bitPattern: first) else { return nil }
        return UnsafeMutableRawBufferPointer(start: address, count: end - first)
    }
}
