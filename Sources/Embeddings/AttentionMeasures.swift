import BertEngine
import Foundation
import Tokenization

/// What each token of an encoding is, for reading attention the way Clark et al. (2019, "What Does BERT
/// Look At?") do: where a head's attention goes is told by the kind of token it lands on.
public struct TokenRoles: Sendable, Equatable {
    /// The special token a sequence starts with ([CLS], <s>).
    public var isStart: [Bool]
    /// The other special tokens: the separators that end each text ([SEP], </s>).
    public var isSeparator: [Bool]
    /// Tokens whose text is punctuation only (a piece's marks and spaces aside).
    public var isPunctuation: [Bool]

    public init(_ encoding: Encoding) {
        let count = encoding.count
        isStart = (0..<count).map { $0 == 0 && encoding.specialTokensMask[0] }
        isSeparator = (0..<count).map { $0 > 0 && encoding.specialTokensMask[$0] }
        let scalars = encoding.texts.map { Array($0.unicodeScalars) }
        isPunctuation = (0..<count).map { token in
            guard !encoding.specialTokensMask[token], let sequence = encoding.sequenceIds[token] else { return false }
            let span = encoding.offsets[token]
            let text = scalars[sequence][span.start..<span.end].filter { !$0.properties.isWhitespace }
            return !text.isEmpty && text.allSatisfy { $0.properties.generalCategory.isPunctuation }
        }
    }
}

extension Unicode.GeneralCategory {
    var isPunctuation: Bool {
        switch self {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }
}

/// One head's attention over a whole text, summarised by the measures of Clark et al. 2019: each is the mean
/// over the tokens attending (the rows) of what that token gives.
public struct HeadStatistics: Sendable, Equatable {
    public var layer: Int
    public var head: Int
    /// Mean entropy of a row, in nats: 0 when every token looks at one token, ln T when at all alike.
    public var entropy: Double
    /// Mean attention to the start token ([CLS], <s>).
    public var toStart: Double
    /// Mean attention to the separators ([SEP], </s>).
    public var toSeparator: Double
    /// Mean attention of a token to itself.
    public var toSelf: Double
    /// Mean attention to the previous token (over the tokens that have one).
    public var toPrevious: Double
    /// Mean attention to the next token (over the tokens that have one).
    public var toNext: Double
    /// Mean attention to punctuation tokens.
    public var toPunctuation: Double

    /// The measures of `probabilities` (T × T, rows summing to 1) for tokens of `roles`.
    public init(layer: Int, head: Int, probabilities: Matrix, roles: TokenRoles) {
        self.layer = layer
        self.head = head
        let count = probabilities.rows
        var entropy = 0.0, start = 0.0, separator = 0.0, own = 0.0, previous = 0.0, next = 0.0, punctuation = 0.0
        let values = probabilities.values
        for row in 0..<count {
            let rowStart = row * count
            for column in 0..<count {
                let p = Double(values[rowStart + column])
                if p > 0 { entropy -= p * log(p) }
                if roles.isStart[column] { start += p }
                if roles.isSeparator[column] { separator += p }
                if roles.isPunctuation[column] { punctuation += p }
            }
            own += Double(values[rowStart + row])
            if row > 0 { previous += Double(values[rowStart + row - 1]) }
            if row + 1 < count { next += Double(values[rowStart + row + 1]) }
        }
        let rows = Double(max(count, 1)), neighbours = Double(max(count - 1, 1))
        self.entropy = entropy / rows
        toStart = start / rows
        toSeparator = separator / rows
        toSelf = own / rows
        toPrevious = previous / neighbours
        toNext = next / neighbours
        toPunctuation = punctuation / rows
    }

    /// Every head of every layer in `attentions` (by layer number), layers in order.
    public static func all(_ attentions: [Int: [Matrix]], roles: TokenRoles) -> [HeadStatistics] {
        attentions.keys.sorted().flatMap { layer in
            attentions[layer]!.enumerated().map { head, probabilities in
                HeadStatistics(layer: layer, head: head, probabilities: probabilities, roles: roles)
            }
        }
    }
}

/// Attention read at other grains than one head's pieces.
public enum AttentionViews {
    /// The mean over heads of one layer's attention.
    public static func meanOverHeads(_ heads: [Matrix]) -> Matrix {
        var mean = Matrix(rows: heads[0].rows, columns: heads[0].columns)
        let weight = 1 / Float(heads.count)
        for head in heads {
            for index in mean.values.indices { mean.values[index] += head.values[index] * weight }
        }
        return mean
    }

    /// Attention between words, as Clark et al. 2019 do it: attention to a word is the sum over its pieces,
    /// attention from a word the mean over its pieces; each row still sums to 1 when the words cover every
    /// piece. `words`: each word's piece positions (non-empty).
    public static func betweenWords(_ probabilities: Matrix, words: [[Int]]) -> Matrix {
        var result = Matrix(rows: words.count, columns: words.count)
        let count = probabilities.columns
        for (from, sources) in words.enumerated() {
            for (to, targets) in words.enumerated() {
                var total: Float = 0
                for source in sources { for target in targets { total += probabilities.values[source * count + target] } }
                result.values[from * words.count + to] = total / Float(sources.count)
            }
        }
        return result
    }

    /// Attention rollout (Abnar and Zuidema 2020) up to and including each layer: heads averaged, the
    /// residual connection added as 0.5·A + 0.5·I, and the layers multiplied from the first up, so row i of
    /// layer L's result says how much of token i's representation there flows from each input token.
    /// `attentions` must hold every layer from 1 to the last wanted; returns one T × T matrix per layer.
    public static func rollout(_ attentions: [Int: [Matrix]], through lastLayer: Int) -> [Matrix] {
        var result = [Matrix]()
        var flow: Matrix?
        for layer in 1...lastLayer {
            var mixed = meanOverHeads(attentions[layer]!)
            let count = mixed.rows
            for index in mixed.values.indices { mixed.values[index] *= 0.5 }
            for diagonal in 0..<count { mixed.values[diagonal * count + diagonal] += 0.5 }
            if let previous = flow {
                var product = [Float](repeating: 0, count: count * count)
                for row in 0..<count {
                    for middle in 0..<count {
                        let weight = mixed.values[row * count + middle]
                        guard weight != 0 else { continue }
                        for column in 0..<count { product[row * count + column] += weight * previous.values[middle * count + column] }
                    }
                }
                mixed.values = product
            }
            flow = mixed
            result.append(mixed)
        }
        return result
    }
}
