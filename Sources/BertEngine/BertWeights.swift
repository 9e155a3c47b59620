import CKernels
import Foundation

/// A linear layer `y = x Wᵀ + b`, W [outputs, inputs] as PyTorch stores it, kept in the storage its
/// `WeightMatrix` chose.
struct Linear: @unchecked Sendable {
    var weight: WeightMatrix
    var bias: UnsafeBufferPointer<Float>
    var outputs: Int { weight.outputs }
    var inputs: Int { weight.inputs }

    /// How the weights of the layers `prefixes` are kept at `precision`: Q4_0 panels only when every
    /// part is Q4_0 and the precision keeps them so.
    static func storage(_ checkpoint: Checkpoint, parts prefixes: [String], precision: Precision,
                        quantized: QuantizedWeights) -> WeightStorage {
        precision.storage(allQ4_0: prefixes.allSatisfy { checkpoint.isQ4_0($0 + ".weight") }, quantized: quantized)
    }

    /// Several layers with the same input as one, outputs stacked in order (query, key, value → QKV):
    /// one matrix product instead of several, over the same packed panels. Checks the tensors now and
    /// adds the packing to `packing`, which `BertWeights` runs once everything is checked.
    init(_ checkpoint: Checkpoint, parts prefixes: [String], outputs: Int, inputs: Int, storage: WeightStorage,
         arena: WeightArena, packing: inout [WeightPacking]) throws {
        let names = prefixes.map { $0 + ".weight" }
        let rows: WeightRows
        if names.allSatisfy(checkpoint.isQ4_0) {
            guard inputs % Int(CK_Q4_BLOCK) == 0 else {
                throw EngineError.invalidWeights(checkpoint.origin, "\(names[0]) is Q4_0 but its \(inputs) inputs are not whole blocks of 32")
            }
            let rowBytes = inputs / Int(CK_Q4_BLOCK) * Int(CK_Q4_BLOCK_BYTES)
            let parts = try names.map { try checkpoint.q4_0Blocks($0, shape: [outputs, inputs]) }
            rows = .q4_0(parts.flatMap { part in (0..<outputs).map { part + $0 * rowBytes } })
        } else {
            let parts = try names.map { try checkpoint.float32($0, shape: [outputs, inputs]) }
            rows = .f32(parts.flatMap { part in (0..<outputs).map { part.baseAddress! + $0 * inputs } })
        }
        let biases = try prefixes.map { try checkpoint.float32($0 + ".bias", shape: [outputs]) }
        weight = WeightMatrix(outputs: outputs * prefixes.count, inputs: inputs, storage: storage, arena: arena)
        if biases.count == 1 {
            bias = biases[0]
        } else {
            let joined = arena.allocate(outputs * biases.count)
            for (index, part) in biases.enumerated() { (joined + index * outputs).update(from: part.baseAddress!, count: outputs) }
            bias = UnsafeBufferPointer(start: joined, count: outputs * biases.count)
        }
        packing.append(WeightPacking(matrix: weight, rows: rows, mappedPages: names.compactMap(checkpoint.mappedPages)))
    }
}

/// A matrix to pack once every tensor has been checked: its rows in the checkpoint, and the pages of
/// the mapped file it was read from, given back to the OS afterwards (the forward pass only reads the
/// packed copy, and untouched file pages do not count towards resident memory).
struct WeightPacking: @unchecked Sendable {
    let matrix: WeightMatrix
    let rows: WeightRows
    let mappedPages: [UnsafeMutableRawBufferPointer]

    func run(kernels: KernelSet) {
        matrix.pack(rows, kernels: kernels)
        for pages in mappedPages { madvise(pages.baseAddress, pages.count, MADV_DONTNEED) }
    }
}

/// A table of embedding rows, [rows, width], kept as the checkpoint stores it: word embeddings are the
/// largest tensor (250,037 × 384 for multilingual-e5-small), and a pass reads only a few rows.
enum EmbeddingTable: @unchecked Sendable {
    case f32(UnsafeBufferPointer<Float>)
    /// Q4_0 blocks, each row `width / 32` of them; rows are dequantized when looked up.
    case q4_0(UnsafeRawPointer)

    init(_ checkpoint: Checkpoint, _ name: String, rows: Int, width: Int) throws {
        guard checkpoint.isQ4_0(name) else {
            self = .f32(try checkpoint.float32(name, shape: [rows, width]))
            return
        }
        guard width % Int(CK_Q4_BLOCK) == 0 else {
            throw EngineError.invalidWeights(checkpoint.origin, "\(name) is Q4_0 but its rows of \(width) are not whole blocks of 32")
        }
        self = .q4_0(try checkpoint.q4_0Blocks(name, shape: [rows, width]))
    }

    /// destination[width] = row `row`.
    func copyRow(_ row: Int, width: Int, to destination: UnsafeMutablePointer<Float>) {
        switch self {
        case .f32(let values): destination.update(from: values.baseAddress! + row * width, count: width)
        case .q4_0(let blocks): ck_q4_dequantize(blocks + row * width / Int(CK_Q4_BLOCK) * Int(CK_Q4_BLOCK_BYTES), width, destination)
        }
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

/// Every weight of a BERT-family encoder under the internal names (the family's `TensorNaming` mapped
/// the checkpoint's own), checked against its config.
struct BertWeights: @unchecked Sendable {
    /// Owns the packed matrices.
    let arena: WeightArena
    var wordEmbeddings: EmbeddingTable
    /// The word embeddings' pages when they are read from a mapped file: given back to the OS every 32
    /// lookups of a batch and after its last (`releaseWordEmbeddingPages`).
    let wordEmbeddingPages: UnsafeMutableRawBufferPointer?
    var positionEmbeddings: UnsafeBufferPointer<Float>
    /// Nil for a family without token types (DistilBERT).
    var typeEmbeddings: UnsafeBufferPointer<Float>?
    var embeddingNorm: LayerNormWeights
    var layers: [EncoderLayerWeights]
    var pooler: Linear?
    var maskedLM: MaskedLMHeadWeights?

    /// Unmaps the word embeddings' file pages (they stay in the page cache, and a lookup maps them again).
    /// A lookup maps more than its row: Linux maps a whole page-cache folio on a fault, up to megabytes
    /// where the file was read ahead in large folios (measured on Linux 6.18: 0.8 MB of resident file pages
    /// per distinct token of mBERT's table, 210 MB at 256 random tokens), so without this the process's
    /// resident memory grows with every new token it has seen.
    func releaseWordEmbeddingPages() {
        if let pages = wordEmbeddingPages { madvise(pages.baseAddress, pages.count, MADV_DONTNEED) }
    }

    /// Every linear layer: the encoder's, the pooler and the MLM head's transform.
    var linears: [Linear] {
        layers.flatMap { [$0.queryKeyValue, $0.attentionOutput, $0.intermediate, $0.output] } + [pooler, maskedLM?.transform].compactMap { $0 }
    }

    /// One linear layer to load: its checkpoint prefixes (several are stacked) and shape.
    private struct LinearPlan {
        var parts: [String]
        var outputs: Int
        var inputs: Int
    }

    /// Checks every tensor against `config` and packs the matrices with `kernels`; `precision` and
    /// `quantized` say how linear weights are kept (embeddings stay as stored either way).
    init(_ checkpoint: Checkpoint, config: BertConfig, kernels: KernelSet, precision: Precision, quantized: QuantizedWeights) throws {
        let hidden = config.hiddenSize
        let intermediate = config.intermediateSize
        wordEmbeddings = try EmbeddingTable(checkpoint, "embeddings.word_embeddings.weight", rows: config.vocabSize, width: hidden)
        wordEmbeddingPages = checkpoint.mappedPages("embeddings.word_embeddings.weight")
        positionEmbeddings = try checkpoint.float32("embeddings.position_embeddings.weight", shape: [config.maxPositions, hidden])
        typeEmbeddings = config.typeVocabSize == 0
            ? nil : try checkpoint.float32("embeddings.token_type_embeddings.weight", shape: [config.typeVocabSize, hidden])
        embeddingNorm = try LayerNormWeights(checkpoint, "embeddings.LayerNorm", size: hidden)
        // The pooler and the MLM head are optional parts of a checkpoint (sentence-transformers drop the
        // pooler); when a part is present, all its tensors must be.
        let hasPooler = checkpoint.contains("pooler.dense.weight")
        let hasMaskedLM = checkpoint.contains("cls.predictions.transform.dense.weight")
        let layerPlans = (0..<config.layerCount).map { index in
            let prefix = "encoder.layer.\(index)."
            return [
                LinearPlan(parts: ["query", "key", "value"].map { prefix + "attention.self." + $0 }, outputs: hidden, inputs: hidden),
                LinearPlan(parts: [prefix + "attention.output.dense"], outputs: hidden, inputs: hidden),
                LinearPlan(parts: [prefix + "intermediate.dense"], outputs: intermediate, inputs: hidden),
                LinearPlan(parts: [prefix + "output.dense"], outputs: hidden, inputs: intermediate),
            ]
        }
        let poolerPlan = hasPooler ? LinearPlan(parts: ["pooler.dense"], outputs: hidden, inputs: hidden) : nil
        let transformPlan = hasMaskedLM ? LinearPlan(parts: ["cls.predictions.transform.dense"], outputs: hidden, inputs: hidden) : nil
        let plans = layerPlans.flatMap { $0 } + [poolerPlan, transformPlan].compactMap { $0 }
        let storages = plans.map { Linear.storage(checkpoint, parts: $0.parts, precision: precision, quantized: quantized) }
        // Each matrix, and the joined bias of a stacked one.
        let arena = WeightArena(allocations: zip(plans, storages).flatMap { plan, storage in
            [storage.floats(outputs: plan.outputs * plan.parts.count, inputs: plan.inputs)]
                + (plan.parts.count > 1 ? [plan.outputs * plan.parts.count] : [])
        })
        self.arena = arena
        var packing = [WeightPacking]()
        var storageOf = storages.makeIterator()
        func linear(_ plan: LinearPlan) throws -> Linear {
            try Linear(checkpoint, parts: plan.parts, outputs: plan.outputs, inputs: plan.inputs, storage: storageOf.next()!,
                       arena: arena, packing: &packing)
        }
        layers = try layerPlans.enumerated().map { index, plan in
            let prefix = "encoder.layer.\(index)."
            return EncoderLayerWeights(
                queryKeyValue: try linear(plan[0]),
                attentionOutput: try linear(plan[1]),
                attentionNorm: try LayerNormWeights(checkpoint, prefix + "attention.output.LayerNorm", size: hidden),
                intermediate: try linear(plan[2]),
                output: try linear(plan[3]),
                outputNorm: try LayerNormWeights(checkpoint, prefix + "output.LayerNorm", size: hidden))
        }
        pooler = try poolerPlan.map(linear)
        if let transformPlan {
            let decoderName = checkpoint.contains("cls.predictions.decoder.weight")
                ? "cls.predictions.decoder.weight" : "embeddings.word_embeddings.weight"
            let biasName = checkpoint.contains("cls.predictions.bias") ? "cls.predictions.bias" : "cls.predictions.decoder.bias"
            maskedLM = MaskedLMHeadWeights(
                transform: try linear(transformPlan),
                norm: try LayerNormWeights(checkpoint, "cls.predictions.transform.LayerNorm", size: hidden),
                decoder: try checkpoint.float32(decoderName, shape: [config.vocabSize, hidden]),
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
    /// The whole pages of a tensor read from a mapped file, to give back to the OS once it has been
    /// packed; nil when the tensor lives in memory the checkpoint owns (converted or generated), which
    /// must be kept.
    func mappedPages(_ name: String) -> UnsafeMutableRawBufferPointer? {
        let start: UnsafeRawPointer
        let byteCount: Int
        switch sources[name] {
        case .file(let file, let entry, let dataStart)?:
            guard let base = file.bytes.baseAddress else { return nil }
            start = base + dataStart + entry.dataRange.lowerBound
            byteCount = entry.dataRange.count
        case .q4_0(let blocks, let shape, mapped: true)?:
            start = blocks
            byteCount = shape.reduce(1, *) / Int(CK_Q4_BLOCK) * Int(CK_Q4_BLOCK_BYTES)
        default:
            return nil
        }
        return Self.wholePages(from: start, byteCount: byteCount)
    }

    /// The pages lying wholly inside `byteCount` bytes from `start`, or nil when there is none.
    static func wholePages(from start: UnsafeRawPointer, byteCount: Int) -> UnsafeMutableRawBufferPointer? {
        let page = Int(getpagesize())
        let first = (Int(bitPattern: start) + page - 1) / page * page
        let end = (Int(bitPattern: start) + byteCount) / page * page
        guard end > first, let address = UnsafeMutableRawPointer(bitPattern: first) else { return nil }
        return UnsafeMutableRawBufferPointer(start: address, count: end - first)
    }
}
