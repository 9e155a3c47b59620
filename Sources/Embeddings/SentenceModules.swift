import BertEngine
import Foundation
import Tokenization

/// What a sentence-transformers model does after the encoder to make one sentence vector, as its
/// `modules.json` lists it: pooling the last layer's token vectors (one mode or several, concatenated),
/// optional Dense layers, optional L2 normalization; and the prompts it defines. Computed as
/// sentence-transformers 6 computes it for one unpadded text, so the vectors are the ones its `encode` gives.
public struct SentenceModules: Sendable, Equatable {
    /// sentence-transformers' pooling modes, by their names in `1_Pooling/config.json`.
    public enum PoolingMode: String, Sendable, CaseIterable {
        case cls, max, mean
        case meanSqrtLength = "mean_sqrt_len_tokens"
        case weightedMean = "weightedmean"
        case lastToken = "lasttoken"
    }

    public enum Activation: String, Sendable {
        case tanh, identity
    }

    /// `activation(weight · x + bias)`, plus `x` (or `residual · x` when the sizes differ) with a residual.
    public struct Dense: Sendable, Equatable {
        public var inputSize: Int
        public var outputSize: Int
        /// outputSize × inputSize, row-major (torch's `nn.Linear.weight`).
        public var weight: [Float]
        public var bias: [Float]?
        public var activation: Activation
        public var residual: Residual?

        public enum Residual: Sendable, Equatable {
            /// The input added as it is (same sizes).
            case identity
            /// The input projected first: outputSize × inputSize, no bias.
            case projected([Float])
        }

        public init(inputSize: Int, outputSize: Int, weight: [Float], bias: [Float]?, activation: Activation, residual: Residual?) {
            self.inputSize = inputSize
            self.outputSize = outputSize
            self.weight = weight
            self.bias = bias
            self.activation = activation
            self.residual = residual
        }

        func apply(_ input: [Float]) -> [Float] {
            var output = SentenceModules.product(weight, input, rows: outputSize)
            if let bias { for index in output.indices { output[index] += bias[index] } }
            if activation == .tanh { output = output.map { Foundation.tanh($0) } }
            switch residual {
            case .identity: for index in output.indices { output[index] += input[index] }
            case .projected(let projection):
                let projected = SentenceModules.product(projection, input, rows: outputSize)
                for index in output.indices { output[index] += projected[index] }
            case nil: break
            }
            return output
        }
    }

    public enum Step: Sendable, Equatable {
        /// `includePrompt` false: a prompt's tokens (and the [CLS] before them) are left out of the pooling.
        case pooling([PoolingMode], includePrompt: Bool)
        case dense(Dense)
        case normalize
    }

    public var steps: [Step]
    /// Prompt name → text put before the input (`config_sentence_transformers.json`'s `prompts`).
    public var prompts: [String: String]
    /// The folder the modules were read from, for messages.
    public var origin: String

    public init(steps: [Step], prompts: [String: String], origin: String) {
        self.steps = steps
        self.prompts = prompts
        self.origin = origin
    }

    /// The sentence vector of one text from its last layer's token vectors (T × H, special tokens included,
    /// as sentence-transformers pools them). `promptLength` is the number of leading positions the prompt
    /// takes (its tokens with the leading special token, as `promptLength(of:tokenizer:)` counts them),
    /// left out where a pooling step says so.
    public func sentenceVector(_ tokens: Matrix, promptLength: Int = 0) -> [Float] {
        var vector = [Float]()
        for step in steps {
            switch step {
            case .pooling(let modes, let includePrompt):
                let first = includePrompt ? 0 : min(promptLength, tokens.rows)
                vector = modes.flatMap { SentenceModules.pool(tokens, from: first, mode: $0) }
            case .dense(let dense):
                vector = dense.apply(vector)
            case .normalize:
                let norm = max(vector.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot(), 1e-12)
                vector = vector.map { Float(Double($0) / norm) }
            }
        }
        return vector
    }

    /// The positions a prompt takes before the text, as sentence-transformers measures them: the prompt
    /// tokenized alone with the model's special tokens, less a trailing special token; none for no prompt or
    /// an empty one (which sentence-transformers does not measure).
    public static func promptLength(of prompt: String?, tokenizer: any TextTokenizer) -> Int {
        guard let prompt, !prompt.isEmpty else { return 0 }
        let mask = tokenizer.encode(prompt, pair: nil, maxLength: nil).specialTokensMask
        return mask.count - (mask.last == true ? 1 : 0)
    }

    /// What the steps are, in words: "mean, then normalized", "cls + max, Dense 96→16 tanh, then normalized".
    public var summary: String {
        steps.map { step -> String in
            switch step {
            case .pooling(let modes, let includePrompt):
                return modes.map(\.rawValue).joined(separator: " + ") + (includePrompt ? "" : " (prompt excluded)")
            case .dense(let dense):
                return "Dense \(dense.inputSize)→\(dense.outputSize)" + (dense.activation == .tanh ? " tanh" : "")
                    + (dense.residual == nil ? "" : " + residual")
            case .normalize:
                return "normalized"
            }
        }.joined(separator: ", then ")
    }

    /// The pooling mode names, in order, for JSON.
    public var poolingModes: [String] {
        steps.flatMap { step -> [String] in
            if case .pooling(let modes, _) = step { return modes.map(\.rawValue) }
            return []
        }
    }

    public var normalizes: Bool { steps.contains(.normalize) }

    static func pool(_ tokens: Matrix, from first: Int, mode: PoolingMode) -> [Float] {
        let width = tokens.columns
        let rows = first..<tokens.rows
        func row(_ index: Int) -> ArraySlice<Float> { tokens.values[(index * width)..<((index + 1) * width)] }
        guard !rows.isEmpty else { return [Float](repeating: 0, count: width) }
        switch mode {
        case .cls:
            return Array(row(rows.lowerBound))
        case .lastToken:
            return Array(row(rows.upperBound - 1))
        case .max:
            var result = [Float](repeating: -.infinity, count: width)
            for index in rows { for (column, value) in row(index).enumerated() { result[column] = Swift.max(result[column], value) } }
            return result
        case .mean, .meanSqrtLength, .weightedMean:
            // Position weights count from 1 at the first position, the prompt's positions included.
            var sums = [Double](repeating: 0, count: width)
            var total = 0.0
            for index in rows {
                let weight = mode == .weightedMean ? Double(index + 1) : 1
                total += weight
                for (column, value) in row(index).enumerated() { sums[column] += weight * Double(value) }
            }
            let denominator = mode == .meanSqrtLength ? total.squareRoot() : total
            return sums.map { Float($0 / denominator) }
        }
    }

    static func product(_ matrix: [Float], _ vector: [Float], rows: Int) -> [Float] {
        let columns = vector.count
        return (0..<rows).map { row in
            var sum: Float = 0
            for column in 0..<columns { sum += matrix[row * columns + column] * vector[column] }
            return sum
        }
    }
}
