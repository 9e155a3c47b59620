import CBLAS
import CKernels
import Foundation

/// One sequence for the encoder: token ids and their segment (token type) ids.
public struct ModelInput: Sendable, Equatable {
    public var ids: [Int]
    public var typeIds: [Int]

    public init(ids: [Int], typeIds: [Int]? = nil) {
        self.ids = ids
        self.typeIds = typeIds ?? [Int](repeating: 0, count: ids.count)
    }
}

/// What the encoder computed for one sequence.
public struct ModelOutput: Sendable {
    /// `layerCount + 1` matrices of T × hidden: index 0 is the embeddings output, index i layer i's output.
    public var hiddenStates: [Matrix]
    /// tanh(W h[CLS] + b), when the checkpoint has a pooler.
    public var poolerOutput: [Float]?
    /// The layers' attention probabilities that were asked for (`AttentionRequest`), by layer number
    /// (1...layerCount), each a list over heads of T × T matrices whose row i is token i's attention over
    /// every token; empty when none were asked for.
    public var attentions: [Int: [Matrix]]

    public var lastHiddenState: Matrix { hiddenStates[hiddenStates.count - 1] }
}

/// Which layers' attention probabilities a forward pass returns. Every layer computes them anyway; what
/// a request costs is keeping them: heads × T × T floats per layer (151 MB over mBERT's 12 layers at 512
/// tokens), so a caller asks only for what it shows.
public enum AttentionRequest: Sendable, Equatable {
    case none
    case all
    /// Layer numbers 1...layerCount; others are ignored.
    case layers(Set<Int>)

    func includes(_ layer: Int) -> Bool {
        switch self {
        case .none: return false
        case .all: return true
        case .layers(let layers): return layers.contains(layer)
        }
    }
}

/// A BERT encoder ready to run: config, weights (packed for the kernels at load) and the forward pass.
public final class BertModel: Sendable {
    public let config: BertConfig
    public let checkpoint: Checkpoint
    let weights: BertWeights
    /// The kernels every pass uses: the fastest this CPU runs, unless a test chose others.
    let kernels: KernelSet
    /// What the linear layers' weights were converted to at load.
    public let precision: Precision
    /// How Q4_0 weights are kept at f32 (what `converted(to:)` keeps).
    public let quantized: QuantizedWeights
    private let workspaces = WorkspaceCache()

    public var hasPooler: Bool { weights.pooler != nil }
    /// Bytes the linear layers' packed weights take at this precision (the bulk of a model's memory).
    public var linearWeightBytes: Int { weights.linears.reduce(0) { $0 + $1.weight.storage.floats(outputs: $1.outputs, inputs: $1.inputs) * 4 } }
    public var hasMaskedLMHead: Bool { weights.maskedLM != nil }

    /// A model over `checkpoint`'s tensors; `precision` says what its linear weights become, `quantized`
    /// how Q4_0 ones are kept at f32.
    public convenience init(config: BertConfig, checkpoint: Checkpoint, precision: Precision = .f32,
                            quantized: QuantizedWeights = .default) throws {
        try self.init(config: config, checkpoint: checkpoint, kernels: .best, precision: precision, quantized: quantized)
    }

    init(config: BertConfig, checkpoint: Checkpoint, kernels: KernelSet, precision: Precision = .f32,
         quantized: QuantizedWeights = .default) throws {
        self.config = config
        self.checkpoint = checkpoint
        self.kernels = kernels
        self.precision = precision
        self.quantized = quantized
        weights = try BertWeights(checkpoint, config: config, kernels: kernels, precision: precision, quantized: quantized)
    }

    /// The same checkpoint with its linear weights at `precision` (this model when they already are): the
    /// explorer's precision key, and the f32 pass a reduced precision is measured against.
    public func converted(to precision: Precision) throws -> BertModel {
        precision == self.precision ? self
            : try BertModel(config: config, checkpoint: checkpoint, kernels: kernels, precision: precision, quantized: quantized)
    }

    // MARK: Forward pass

    /// Runs the encoder over a batch. Sequences may have different lengths: they are packed without
    /// padding, so each one's vectors equal what it gets alone. `threads` workers split every matrix
    /// product by output columns and the attention by (sequence, head). `attentions` says which layers'
    /// attention probabilities to return. `throughLayer` stops the pass after that layer (0: the embeddings
    /// only) when no higher hidden state is wanted: the states it returns are those of the full pass, there
    /// are `throughLayer + 1` of them, and the pooler (which reads the last layer) is left out.
    public func forward(_ batch: [ModelInput], attentions: AttentionRequest = .none, throughLayer: Int? = nil,
                        threads: Int = 1) throws -> [ModelOutput] {
        try validate(batch)
        if let throughLayer, !(0...config.layerCount).contains(throughLayer) {
            throw EngineError.invalidInput("layer \(throughLayer) does not exist; the model has layers 0...\(config.layerCount)")
        }
        let layersRun = throughLayer ?? config.layerCount
        let threads = max(1, threads)
        BLASThreads.set(threads)
        let hiddenSize = config.hiddenSize
        let lengths = batch.map(\.ids.count)
        let rows = lengths.reduce(0, +)
        let rowStarts = lengths.reduce(into: [0]) { $0.append($0.last! + $1) }
        let workspace = workspaces.take(rows: rows, longest: lengths.max() ?? 0, threads: threads, config: config, kernels: kernels)
        defer { workspaces.keep(workspace) }
        let hidden = workspace.hidden
        let queryKeyValue = workspace.queryKeyValue
        let context = workspace.context
        let attended = workspace.attended
        let intermediate = workspace.intermediate

        var outputs = batch.map { _ in
            ModelOutput(hiddenStates: [], poolerOutput: nil, attentions: [:])
        }
        func record() {
            for (index, length) in lengths.enumerated() {
                let start = hidden + rowStarts[index] * hiddenSize
                outputs[index].hiddenStates.append(
                    Matrix(rows: length, columns: hiddenSize, values: Array(UnsafeBufferPointer(start: start, count: length * hiddenSize))))
            }
        }

        embed(batch, into: hidden, workspace: workspace)
        record()
        let headCount = config.headCount
        let headSize = config.headSize
        let scale = 1 / Float(headSize).squareRoot()
        // One attention job per (sequence, head). In a layer whose attention was asked for, each job writes its
        // probabilities straight into the array that is returned (made uninitialised by its worker: no copy,
        // no zero fill); elsewhere into its worker's scratch.
        let jobs = lengths.indices.flatMap { sequence in (0..<headCount).map { (sequence: sequence, head: $0) } }
        let stride = 3 * hiddenSize
        func attend(_ job: Int, worker: Int, probabilities: UnsafeMutablePointer<Float>) {
            let (sequence, head) = jobs[job]
            let query = queryKeyValue + rowStarts[sequence] * stride + head * headSize
            ck_attention_head(
                workspace.kernels.ops, lengths[sequence], headSize, query, query + hiddenSize, query + 2 * hiddenSize, stride,
                scale, probabilities, context + rowStarts[sequence] * hiddenSize + head * headSize, hiddenSize,
                workspace.attentionScratch(worker))
        }
        for (layerIndex, layer) in weights.layers.prefix(layersRun).enumerated() {
            let layerNumber = layerIndex + 1
            applyLinear(layer.queryKeyValue, input: hidden, rows: rows, output: queryKeyValue, workspace: workspace)
            if attentions.includes(layerNumber) {
                var kept = [[Float]](repeating: [], count: jobs.count)
                kept.withUnsafeMutableBufferPointer { kept in
                    parallelFor(jobs.count, workers: threads) { job, worker in
                        let count = lengths[jobs[job].sequence] * lengths[jobs[job].sequence]
                        kept[job] = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                            attend(job, worker: worker, probabilities: buffer.baseAddress!)
                            initialized = count
                        }
                    }
                }
                for (index, length) in lengths.enumerated() {
                    outputs[index].attentions[layerNumber] = (0..<headCount).map { head in
                        Matrix(rows: length, columns: length, values: kept[index * headCount + head])
                    }
                }
            } else {
                parallelFor(jobs.count, workers: threads) { job, worker in
                    attend(job, worker: worker, probabilities: workspace.probabilityScratch(worker))
                }
            }
            applyLinear(layer.attentionOutput, input: context, rows: rows, output: attended, residual: hidden, workspace: workspace)
            layerNorm(attended, rows: rows, size: hiddenSize, weights: layer.attentionNorm, epsilon: config.layerNormEpsilon,
                      workspace: workspace)
            applyLinear(layer.intermediate, input: attended, rows: rows, output: intermediate, gelu: true, workspace: workspace)
            applyLinear(layer.output, input: intermediate, rows: rows, output: hidden, residual: attended, workspace: workspace)
            layerNorm(hidden, rows: rows, size: hiddenSize, weights: layer.outputNorm, epsilon: config.layerNormEpsilon,
                      workspace: workspace)
            record()
        }
        if let pooler = weights.pooler, layersRun == config.layerCount {
            // tanh(W h[CLS] + b) for every sequence at once: gather the [CLS] rows, one product.
            for (index, start) in rowStarts.dropLast().enumerated() {
                (context + index * hiddenSize).update(from: hidden + start * hiddenSize, count: hiddenSize)
            }
            applyLinear(pooler, input: context, rows: batch.count, output: attended, workspace: workspace)
            for index in batch.indices {
                outputs[index].poolerOutput = UnsafeBufferPointer(start: attended + index * hiddenSize, count: hiddenSize).map { tanhf($0) }
            }
        }
        return outputs
    }

    /// word + position (+ token type) embeddings, then LayerNorm. Each sequence's position ids, and
    /// whether the family has token types, are decided before its token loop.
    private func embed(_ batch: [ModelInput], into output: UnsafeMutablePointer<Float>, workspace: Workspace) {
        let hiddenSize = config.hiddenSize
        let positionTable = weights.positionEmbeddings.baseAddress!
        var row = 0
        for input in batch {
            let positions = config.positions.positions(of: input.ids)
            let first = output + row * hiddenSize
            for (offset, id) in input.ids.enumerated() {
                weights.wordEmbeddings.copyRow(id, width: hiddenSize, to: first + offset * hiddenSize)
                // Every 32 rows of the batch, so the file pages each lookup maps never add up to much.
                if (row + offset) % 32 == 31 { weights.releaseWordEmbeddingPages() }
            }
            row += input.ids.count
            if let typeTable = weights.typeEmbeddings?.baseAddress {
                for (offset, (position, type)) in zip(positions, input.typeIds).enumerated() {
                    let destination = first + offset * hiddenSize
                    let place = positionTable + position * hiddenSize
                    let segment = typeTable + type * hiddenSize
                    for index in 0..<hiddenSize { destination[index] = destination[index] + place[index] + segment[index] }
                }
            } else {
                for (offset, position) in positions.enumerated() {
                    let destination = first + offset * hiddenSize
                    let place = positionTable + position * hiddenSize
                    for index in 0..<hiddenSize { destination[index] += place[index] }
                }
            }
        }
        if row % 32 != 0 { weights.releaseWordEmbeddingPages() }  // the rows since the last release
        layerNorm(output, rows: row, size: hiddenSize, weights: weights.embeddingNorm, epsilon: config.layerNormEpsilon,
                  workspace: workspace)
    }

    private func validate(_ batch: [ModelInput]) throws {
        for (index, input) in batch.enumerated() {
            let name = batch.count > 1 ? "sequence \(index)" : "the sequence"
            guard !input.ids.isEmpty else { throw EngineError.invalidInput("\(name) is empty; it needs at least one token") }
            guard input.ids.count == input.typeIds.count else {
                throw EngineError.invalidInput("\(name) has \(input.ids.count) ids but \(input.typeIds.count) token type ids")
            }
            guard input.ids.count <= config.longestSequence else {
                throw EngineError.invalidInput(
                    "\(name) has \(input.ids.count) tokens; the model has \(config.longestSequence) positions (truncate the text)")
            }
            if let bad = input.ids.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
                throw EngineError.invalidInput("\(name) has token id \(bad), outside the vocabulary 0..<\(config.vocabSize)")
            }
            // A family without token types (DistilBERT) does not read them.
            if config.typeVocabSize > 0, let bad = input.typeIds.first(where: { $0 < 0 || $0 >= config.typeVocabSize }) {
                throw EngineError.invalidInput("\(name) has token type \(bad); the model has \(config.typeVocabSize) types")
            }
        }
    }

    // MARK: Masked-LM head

    /// The most likely tokens at `positions` of one sequence's last hidden state, with probabilities.
    public func maskedLMPredictions(lastHiddenState: Matrix, positions: [Int], topK: Int) throws -> [[(id: Int, probability: Float)]] {
        guard let head = weights.maskedLM else {
            throw EngineError.invalidInput("this checkpoint has no masked-LM head (BERT's cls.predictions.*, XLM-R's lm_head.*, DistilBERT's vocab_*), so it cannot fill masks")
        }
        let hiddenSize = config.hiddenSize
        let vocab = config.vocabSize
        guard !positions.isEmpty else { return [] }
        let count = positions.count
        let workspace = workspaces.take(rows: count, longest: 1, threads: nil, config: config, kernels: kernels)
        defer { workspaces.keep(workspace) }
        // transform = LayerNorm(GELU(W h + b)) for every position, then logits = decoder · transform + bias.
        let rows = workspace.context
        let transformed = workspace.attended
        for (index, position) in positions.enumerated() {
            lastHiddenState[position].withUnsafeBufferPointer { (rows + index * hiddenSize).update(from: $0.baseAddress!, count: hiddenSize) }
        }
        applyLinear(head.transform, input: rows, rows: count, output: transformed, gelu: true, workspace: workspace)
        layerNorm(transformed, rows: count, size: hiddenSize, weights: head.norm, epsilon: config.layerNormEpsilon, workspace: workspace)
        var logits = [Float](repeating: 0, count: count * vocab)
        logits.withUnsafeMutableBufferPointer { output in
            for index in 0..<count { (output.baseAddress! + index * vocab).update(from: head.bias.baseAddress!, count: vocab) }
            // One pass over the decoder (vocab × hidden, the largest matrix) for all positions.
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(count), Int32(vocab), Int32(hiddenSize), 1,
                        transformed, Int32(hiddenSize), head.decoder.baseAddress!, Int32(hiddenSize), 1, output.baseAddress!, Int32(vocab))
            softmaxRows(output.baseAddress!, rows: count, size: vocab, kernels: kernels)
        }
        return (0..<count).map { index in
            let row = logits[(index * vocab)..<((index + 1) * vocab)]
            let order = row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }
            return order.prefix(topK).map { ($0 - index * vocab, row[$0]) }
        }
    }
}

/// Scratch memory for forward passes of up to `rows` tokens (sequences up to `longest`) on `threads`
/// workers.
final class Workspace: @unchecked Sendable {
    let kernels: KernelSet
    let rows: Int
    let longest: Int
    let threads: Int
    /// [rows × hidden] each, except queryKeyValue [rows × 3 hidden] and intermediate [rows × intermediate].
    let hidden, queryKeyValue, context, attended, intermediate: UnsafeMutablePointer<Float>
    /// Shared by the workers of one matrix product (its packed A).
    let gemmScratch: UnsafeMutablePointer<Float>
    /// Per worker: scratch for an attention head, then one head's probabilities.
    private let perWorker: UnsafeMutablePointer<Float>
    private let workerFloats: Int
    private let attentionFloats: Int
    private let storage: UnsafeMutableRawPointer
    let bytes: Int

    init(rows: Int, longest: Int, threads: Int, config: BertConfig, kernels: KernelSet) {
        self.rows = rows
        self.longest = longest
        self.threads = threads
        self.kernels = kernels
        let hiddenSize = config.hiddenSize
        func rounded(_ floats: Int) -> Int { (floats + 15) / 16 * 16 }  // 64-byte aligned parts
        attentionFloats = rounded(ck_attention_scratch_floats(longest, config.headSize))
        workerFloats = attentionFloats + rounded(longest * longest)
        let sizes = [rows * hiddenSize, rows * 3 * hiddenSize, rows * hiddenSize, rows * hiddenSize, rows * config.intermediateSize,
                     ck_gemm_scratch_floats(max(hiddenSize, config.intermediateSize)), threads * workerFloats].map(rounded)
        bytes = sizes.reduce(0, +) * MemoryLayout<Float>.size
        storage = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 64), alignment: 64)
        var parts = [UnsafeMutablePointer<Float>]()
        var offset = 0
        for size in sizes {
            parts.append((storage + offset * MemoryLayout<Float>.size).bindMemory(to: Float.self, capacity: size))
            offset += size
        }
        (hidden, queryKeyValue, context, attended, intermediate) = (parts[0], parts[1], parts[2], parts[3], parts[4])
        (gemmScratch, perWorker) = (parts[5], parts[6])
    }

    deinit { storage.deallocate() }

    func attentionScratch(_ worker: Int) -> UnsafeMutablePointer<Float> { perWorker + worker * workerFloats }
    func probabilityScratch(_ worker: Int) -> UnsafeMutablePointer<Float> { perWorker + worker * workerFloats + attentionFloats }

    func fits(rows: Int, longest: Int, threads: Int?, kernels: KernelSet) -> Bool {
        rows <= self.rows && longest <= self.longest && (threads ?? self.threads) == self.threads && kernels.ops == self.kernels.ops
    }
}

/// Keeps the last workspace between passes so a steady stream of passes allocates no scratch.
final class WorkspaceCache: @unchecked Sendable {
    private var kept: Workspace?
    private let lock = NSLock()
    /// Larger workspaces are freed after their pass rather than held.
    private static let keepLimit = 64 << 20

    /// A workspace at least this large for `threads` workers (nil: any number), the kept one when it fits
    /// (concurrent passes get their own).
    func take(rows: Int, longest: Int, threads: Int?, config: BertConfig, kernels: KernelSet) -> Workspace {
        lock.lock()
        defer { lock.unlock() }
        if let workspace = kept, workspace.fits(rows: rows, longest: longest, threads: threads, kernels: kernels) {
            kept = nil
            return workspace
        }
        return Workspace(rows: rows, longest: longest, threads: threads ?? 1, config: config, kernels: kernels)
    }

    /// Keeps the workspace a pass just used: the next pass most likely has the same shape.
    func keep(_ workspace: Workspace) {
        guard workspace.bytes <= Self.keepLimit else { return }
        lock.lock()
        defer { lock.unlock() }
        kept = workspace
    }
}
