import BertEngine
import Embeddings
import Tokenization

/// The focused line's attention as the Attention pane reads it, at the grain of the list: pieces, or words
/// (Clark et al.'s word attention) with each special token a unit of its own, so rows still sum to 1. Made
/// once when vectors with attention arrive (or the grain changes), not per frame, on the worker's thread
/// (rollout alone is L products of T x T matrices).
public struct LineAttention: Sendable {
    /// The units attention is read between: pieces, or words and special tokens.
    var labels: [String]
    /// The unit of each row of the list (a token, or a word).
    var unitOfRow: [Int]
    var roles: TokenRoles
    /// heads[layer - 1][head]: unit x unit.
    var heads: [[Matrix]]
    /// The mean over heads of each layer.
    var means: [Matrix]
    /// Rollout through each layer, when asked for.
    var rollout: [Matrix]?
    /// Clark et al.'s measures of every head, over the line's units.
    var statistics: [HeadStatistics]

    /// - Parameter words: the line's words, for attention between words; nil for pieces.
    init?(_ embedded: EmbeddedText, words: [Word]?, rollout wantsRollout: Bool) {
        let attentions = embedded.output.attentions
        guard !attentions.isEmpty else { return nil }
        let encoding = embedded.encoding
        let pieceRoles = TokenRoles(encoding)
        let layers = attentions.keys.sorted()
        var pieceRollout = wantsRollout ? AttentionViews.rollout(attentions, through: layers.last!) : nil
        if let lineWords = words {
            // Each word's pieces, and each token outside the words (the special tokens, and with linguistic
            // words the pieces of spaces and punctuation) alone. Words that share pieces (a piece such as `▁犬が`
            // covers two) are one unit, so every row of the list still has its unit.
            var units = [[Int]](), labels = [String](), unitOfWord = [Int]()
            var token = 0
            var next = 0
            while token < encoding.count {
                if next < lineWords.count, lineWords[next].tokens.lowerBound == token {
                    var end = lineWords[next].tokens.upperBound
                    var texts = [String]()
                    while next < lineWords.count, lineWords[next].tokens.lowerBound < end {
                        end = max(end, lineWords[next].tokens.upperBound)
                        unitOfWord.append(units.count)
                        texts.append(lineWords[next].text)
                        next += 1
                    }
                    units.append(Array(token..<end))
                    labels.append(texts.joined(separator: " "))
                    token = end
                } else {
                    units.append([token])
                    labels.append(encoding.tokens[token])
                    token += 1
                }
            }
            self.labels = labels
            unitOfRow = unitOfWord
            roles = pieceRoles.grouped(units)
            heads = layers.map { attentions[$0]!.map { AttentionViews.betweenWords($0, words: units) } }
            pieceRollout = pieceRollout?.map { AttentionViews.betweenWords($0, words: units) }
        } else {
            labels = encoding.tokens
            unitOfRow = Array(0..<encoding.count)
            roles = pieceRoles
            heads = layers.map { attentions[$0]! }
        }
        means = heads.map(AttentionViews.meanOverHeads)
        rollout = pieceRollout
        let byLayer = Dictionary(uniqueKeysWithValues: zip(layers, heads))
        statistics = HeadStatistics.all(byLayer, roles: roles)
    }

    var layerCount: Int { heads.count }
    var headCount: Int { heads.first?.count ?? 0 }

    /// The matrix the bars and the heatmap read for a choice: one head, the heads' mean, or rollout.
    func matrix(_ choice: AttentionChoice, rollout useRollout: Bool) -> Matrix {
        let layer = max(1, min(choice.layer, layerCount)) - 1
        if useRollout, let rollout { return rollout[layer] }
        guard let head = choice.head, head < headCount else { return means[layer] }
        return heads[layer][head]
    }

    /// Where `unit`'s attention mostly goes in every head: focus[layer - 1][head].
    func focus(of unit: Int) -> [[AttentionFocus]] {
        heads.map { layer in layer.map { AttentionFocus(row: $0[unit], token: unit, roles: roles) } }
    }
}
