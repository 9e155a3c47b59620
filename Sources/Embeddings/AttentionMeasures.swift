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

    public init(isStart: [Bool], isSeparator: [Bool], isPunctuation: [Bool]) {
        self.isStart = isStart
        self.isSeparator = isSeparator
        self.isPunctuation = isPunctuation
    }

    /// The roles of groups of tokens (words, as `AttentionViews.betweenWords` takes them): a group is the start
    /// or a separator when its tokens all are, punctuation when they all are.
    public func grouped(_ groups: [[Int]]) -> TokenRoles {
        TokenRoles(isStart: groups.map { $0.allSatisfy { isStart[$0] } },
                   isSeparator: groups.map { $0.allSatisfy { isSeparator[$0] } },
                   isPunctuation: groups.map { $0.allSatisfy { isPunctuation[$0] } })
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

/// Where one token's attention (one row of a head) mostly goes, in the terms of Clark et al. 2019: the token
/// itself, its neighbours, the start token, the separators, punctuation, or nowhere in particular.
public struct AttentionFocus: Sendable, Equatable {
    public enum Target: String, Sendable, CaseIterable {
        // Ties go to the first: a [CLS] right before the token is read as the start token, not "previous".
        case start, separator, itself = "self", previous, next, punctuation, spread
    }

    public var target: Target
    /// The share of the attention that goes to `target` (for `.spread`, the largest share of any target).
    public var share: Double
    /// Entropy of the row in nats: 0 when all of it goes to one token, ln T when spread evenly.
    public var entropy: Double

    /// A share of at least `threshold` names the target; below it the row is spread.
    public init(row: ArraySlice<Float>, token: Int, roles: TokenRoles, threshold: Double = 0.5) {
        let values = Array(row)
        var entropy = 0.0
        var shares: [Target: Double] = [.start: 0, .separator: 0, .punctuation: 0]
        for (column, value) in values.enumerated() {
            let p = Double(value)
            if p > 0 { entropy -= p * log(p) }
            if roles.isStart[column] { shares[.start]! += p }
            if roles.isSeparator[column] { shares[.separator]! += p }
            if roles.isPunctuation[column] { shares[.punctuation]! += p }
        }
        shares[.itself] = Double(values[token])
        shares[.previous] = token > 0 ? Double(values[token - 1]) : 0
        shares[.next] = token + 1 < values.count ? Double(values[token + 1]) : 0
        let best = Target.allCases.dropLast().max { shares[$0]! < shares[$1]! || (shares[$0]! == shares[$1]! && $0.order > $1.order) }!
        self.entropy = entropy
        share = shares[best]!
        target = share >= threshold ? best : .spread
    }
}

extension AttentionFocus.Target {
    var order: Int { Self.allCases.firstIndex(of: self)! }
}
