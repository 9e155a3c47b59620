import CBLAS
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
    /// Per layer (1...layerCount, stored from index 0), per head: T × T attention probabilities, when asked.
    public var attentions: [[Matrix]]?

    public var lastHiddenState: Matrix { hiddenStates[hiddenStates.count - 1] }
}

/// A BERT encoder ready to run: config, weights (memory-mapped when possible) and the forward pass.
public final class BertModel: Sendable {
    public let config: BertConfig
    public let checkpoint: Checkpoint
    let weights: BertWeights

    public var hasPooler: Bool { weights.pooler != nil }
    public var hasMaskedLMHead: Bool { weights.maskedLM != nil }

    public init(config: BertConfig, checkpoint: Checkpoint) throws {
        self.config = config
        self.checkpoint = checkpoint
        weights = try BertWeights(checkpoint, config: config)
    }

    /// Loads `config.json` and `model.safetensors` from a model folder.
    public convenience init(folder: URL) throws {
        let config = try BertConfig.load(folder.appendingPathComponent("config.json"))
        let weightsPath = folder.appendingPathComponent("model.safetensors").path
        guard FileManager.default.fileExists(atPath: weightsPath) else {
            throw EngineError.invalidWeights(weightsPath, "no such file; the model folder needs its weights as model.safetensors")
        }
        try self.init(config: config, checkpoint: Checkpoint(safetensorsAt: weightsPath))
    }

    // MARK: Forward pass

    /// Runs the encoder over a batch. Sequences may have different lengths: they are packed without
    /// padding, so each one's vectors equal what it gets alone.
    public func forward(_ batch: [ModelInput], attentions: Bool = false, threads: Int = 1) throws -> [ModelOutput] {
        try validate(batch)
        BLASThreads.set(threads)
        let hiddenSize = config.hiddenSize
        let lengths = batch.map(\.ids.count)
        let rows = lengths.reduce(0, +)
        let rowStarts = lengths.reduce(into: [0]) { $0.append($0.last! + $1) }
        let longest = lengths.max() ?? 0

        let hidden = Buffer(rows * hiddenSize)
        let query = Buffer(rows * hiddenSize)
        let key = Buffer(rows * hiddenSize)
        let value = Buffer(rows * hiddenSize)
        let context = Buffer(rows * hiddenSize)
        let attended = Buffer(rows * hiddenSize)
        let intermediate = Buffer(rows * config.intermediateSize)
        let scores = Buffer(longest * longest)
        defer { [hidden, query, key, value, context, attended, intermediate, scores].forEach { $0.free() } }

        var outputs = batch.map { _ in
            ModelOutput(hiddenStates: [], poolerOutput: nil, attentions: attentions ? [] : nil)
        }
        func record() {
            for (index, length) in lengths.enumerated() {
                let start = hidden.pointer + rowStarts[index] * hiddenSize
                outputs[index].hiddenStates.append(
                    Matrix(rows: length, columns: hiddenSize, values: Array(UnsafeBufferPointer(start: start, count: length * hiddenSize))))
            }
        }

        embed(batch, into: hidden.pointer)
        record()
        let headSize = config.headSize
        let scale = 1 / Float(headSize).squareRoot()
        for layer in weights.layers {
            applyLinear(layer.query, input: hidden.pointer, rows: rows, output: query.pointer)
            applyLinear(layer.key, input: hidden.pointer, rows: rows, output: key.pointer)
            applyLinear(layer.value, input: hidden.pointer, rows: rows, output: value.pointer)
            for (index, length) in lengths.enumerated() {
                var heads = [Matrix]()
                let offset = rowStarts[index] * hiddenSize
                for head in 0..<config.headCount {
                    let column = head * headSize
                    // scores[T × T] = Q_h · K_hᵀ / √d, rows of Q and K strided by the hidden size
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(length), Int32(length), Int32(headSize), scale,
                        query.pointer + offset + column, Int32(hiddenSize), key.pointer + offset + column, Int32(hiddenSize),
                        0, scores.pointer, Int32(length))
                    softmaxRows(scores.pointer, rows: length, size: length)
                    if attentions {
                        heads.append(Matrix(rows: length, columns: length,
                                            values: Array(UnsafeBufferPointer(start: scores.pointer, count: length * length))))
                    }
                    // context_h[T × d] = scores · V_h
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(length), Int32(headSize), Int32(length), 1,
                        scores.pointer, Int32(length), value.pointer + offset + column, Int32(hiddenSize),
                        0, context.pointer + offset + column, Int32(hiddenSize))
                }
                if attentions { outputs[index].attentions!.append(heads) }
            }
            applyLinear(layer.attentionOutput, input: context.pointer, rows: rows, output: attended.pointer)
            add(hidden.pointer, into: attended.pointer, count: rows * hiddenSize)
            layerNorm(attended.pointer, rows: rows, size: hiddenSize, weights: layer.attentionNorm, epsilon: config.layerNormEpsilon)
            applyLinear(layer.intermediate, input: attended.pointer, rows: rows, output: intermediate.pointer)
            gelu(intermediate.pointer, count: rows * config.intermediateSize)
            applyLinear(layer.output, input: intermediate.pointer, rows: rows, output: hidden.pointer)
            add(attended.pointer, into: hidden.pointer, count: rows * hiddenSize)
            layerNorm(hidden.pointer, rows: rows, size: hiddenSize, weights: layer.outputNorm, epsilon: config.layerNormEpsilon)
            record()
        }
        if let pooler = weights.pooler {
            for index in batch.indices {
                var pooled = [Float](repeating: 0, count: hiddenSize)
                pooled.withUnsafeMutableBufferPointer { output in
                    applyLinear(pooler, input: hidden.pointer + rowStarts[index] * hiddenSize, rows: 1, output: output.baseAddress!)
                }
                outputs[index].poolerOutput = pooled.map { tanhf($0) }
            }
        }
        return outputs
    }

    /// word + position + token type embeddings, then LayerNorm.
    private func embed(_ batch: [ModelInput], into output: UnsafeMutablePointer<Float>) {
        let hiddenSize = config.hiddenSize
        var row = 0
        for input in batch {
            for (position, (id, type)) in zip(input.ids, input.typeIds).enumerated() {
                let destination = output + row * hiddenSize
                let word = weights.wordEmbeddings.baseAddress! + id * hiddenSize
                let place = weights.positionEmbeddings.baseAddress! + position * hiddenSize
                let segment = weights.typeEmbeddings.baseAddress! + type * hiddenSize
                for index in 0..<hiddenSize { destination[index] = word[index] + place[index] + segment[index] }
                row += 1
            }
        }
        layerNorm(output, rows: row, size: hiddenSize, weights: weights.embeddingNorm, epsilon: config.layerNormEpsilon)
    }

    private func validate(_ batch: [ModelInput]) throws {
        for (index, input) in batch.enumerated() {
            let name = batch.count > 1 ? "sequence \(index)" : "the sequence"
            guard !input.ids.isEmpty else { throw EngineError.invalidInput("\(name) is empty; it needs at least one token") }
            guard input.ids.count == input.typeIds.count else {
                throw EngineError.invalidInput("\(name) has \(input.ids.count) ids but \(input.typeIds.count) token type ids")
            }
            guard input.ids.count <= config.maxPositions else {
                throw EngineError.invalidInput(
                    "\(name) has \(input.ids.count) tokens; the model has \(config.maxPositions) positions (truncate the text)")
            }
            if let bad = input.ids.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
                throw EngineError.invalidInput("\(name) has token id \(bad), outside the vocabulary 0..<\(config.vocabSize)")
            }
            if let bad = input.typeIds.first(where: { $0 < 0 || $0 >= config.typeVocabSize }) {
                throw EngineError.invalidInput("\(name) has token type \(bad); the model has \(config.typeVocabSize) types")
            }
        }
    }

    // MARK: Masked-LM head

    /// The most likely tokens at `positions` of one sequence's last hidden state, with probabilities.
    public func maskedLMPredictions(lastHiddenState: Matrix, positions: [Int], topK: Int) throws -> [[(id: Int, probability: Float)]] {
        guard let head = weights.maskedLM else {
            throw EngineError.invalidInput("this checkpoint has no masked-LM head (cls.predictions.*), so it cannot fill masks")
        }
        let hiddenSize = config.hiddenSize
        let vocab = config.vocabSize
        return positions.map { position in
            var transformed = [Float](repeating: 0, count: hiddenSize)
            var logits = [Float](head.bias)
            let row = Array(lastHiddenState[position])
            transformed.withUnsafeMutableBufferPointer { output in
                row.withUnsafeBufferPointer { input in
                    applyLinear(head.transform, input: input.baseAddress!, rows: 1, output: output.baseAddress!)
                }
                gelu(output.baseAddress!, count: hiddenSize)
                layerNorm(output.baseAddress!, rows: 1, size: hiddenSize, weights: head.norm, epsilon: config.layerNormEpsilon)
            }
            logits.withUnsafeMutableBufferPointer { output in
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(vocab), Int32(hiddenSize), 1, head.decoder.baseAddress!,
                            Int32(hiddenSize), transformed, 1, 1, output.baseAddress!, 1)
                softmaxRows(output.baseAddress!, rows: 1, size: vocab)
            }
            let order = logits.indices.sorted { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }
            return order.prefix(topK).map { ($0, logits[$0]) }
        }
    }
}

/// Scratch memory for one forward pass.
final class Buffer {
    let pointer: UnsafeMutablePointer<Float>
    init(_ count: Int) { pointer = .allocate(capacity: max(count, 1)) }
    func free() { pointer.deallocate() }
}

/// target += source, elementwise.
func add(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
    for index in 0..<count { target[index] += source[index] }
}
