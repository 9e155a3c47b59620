import BertEngine
import Foundation
import ModelLoader
import TestSupport
import Testing
import Tokenization

@testable import Embeddings

@Suite("Attention: token roles, Clark et al.'s head statistics, word attention, rollout")
struct AttentionMeasuresTests {
    static let folder = TestPaths.fixtures.appendingPathComponent("engine/tiny-modern")
    static let tokenizer = try! BertTokenizer(modelFolder: folder)

    /// [CLS] the dog . [SEP]
    var encoding: Encoding { Self.tokenizer.encode("the dog .", pair: nil, maxLength: nil) }

    @Test("roles: the start token, the separators, punctuation pieces")
    func roles() throws {
        #expect(encoding.tokens == ["[CLS]", "the", "dog", ".", "[SEP]"])
        let roles = TokenRoles(encoding)
        #expect(roles.isStart == [true, false, false, false, false])
        #expect(roles.isSeparator == [false, false, false, false, true])
        #expect(roles.isPunctuation == [false, false, false, true, false])
        let pair = Self.tokenizer.encode("the", pair: "dog !", maxLength: nil)
        #expect(TokenRoles(pair).isSeparator == [false, false, true, false, false, true])
        #expect(TokenRoles(pair).isPunctuation == [false, false, false, false, true, false])
    }

    @Test("head statistics: each measure is the mean over attending tokens, worked out by hand")
    func statistics() throws {
        // Row i is token i's attention over [CLS] the dog . [SEP].
        let rows: [[Float]] = [
            [1, 0, 0, 0, 0],              // [CLS] looks at itself
            [0.5, 0, 0.5, 0, 0],          // the: [CLS] and next
            [0, 0.25, 0.25, 0.25, 0.25],  // dog: spread over four
            [0, 0, 0, 0, 1],              // .: [SEP], which is next
            [0, 0, 0, 1, 0],              // [SEP]: punctuation, previous
        ]
        let matrix = Matrix(rows: 5, columns: 5, values: rows.flatMap { $0 })
        let stats = HeadStatistics(layer: 3, head: 1, probabilities: matrix, roles: TokenRoles(encoding))
        #expect(stats.layer == 3 && stats.head == 1)
        #expect(abs(stats.entropy - (log(2) + log(4)) / 5) < 1e-12)
        #expect(abs(stats.toStart - 1.5 / 5) < 1e-12)
        #expect(abs(stats.toSeparator - 1.25 / 5) < 1e-12)
        #expect(abs(stats.toSelf - 1.25 / 5) < 1e-12)
        #expect(abs(stats.toPrevious - (0.5 + 0.25 + 0 + 1) / 4) < 1e-12)
        #expect(abs(stats.toNext - (0 + 0.5 + 0.25 + 1) / 4) < 1e-12)
        #expect(abs(stats.toPunctuation - 1.25 / 5) < 1e-12)
    }

    @Test("word attention: sum over the target's pieces, mean over the source's; rows still sum to 1")
    func words() {
        // Three pieces, words {0, 1} and {2}.
        let matrix = Matrix(rows: 3, columns: 3, values: [0.2, 0.3, 0.5, 0.6, 0.1, 0.3, 0, 0.4, 0.6])
        let words = AttentionViews.betweenWords(matrix, words: [[0, 1], [2]])
        let expected: [Float] = [(0.5 + 0.7) / 2, (0.5 + 0.3) / 2, 0.4, 0.6]
        for (ours, theirs) in zip(words.values, expected) { #expect(abs(ours - theirs) < 1e-6) }
    }

    @Test("focus: where one token's attention mostly goes, with the row's entropy; spread below half")
    func focus() {
        // Token 2 ("dog") of [CLS] the dog . [SEP], one row per case.
        let roles = TokenRoles(encoding)
        func focus(_ row: [Float], token: Int = 2) -> AttentionFocus { AttentionFocus(row: row[...], token: token, roles: roles) }
        #expect(focus([0, 0, 0.9, 0.1, 0]).target == .itself)
        #expect(focus([0, 0.6, 0.2, 0.2, 0]).target == .previous)
        #expect(focus([0.1, 0, 0, 0.7, 0.2]).target == .next)
        #expect(focus([0.8, 0.1, 0.1, 0, 0]).target == .start)
        #expect(focus([0, 0.1, 0.1, 0.2, 0.6]).target == .separator)
        // The "." at token 3 is punctuation; from token 1 it is no neighbour.
        #expect(focus([0, 0.2, 0, 0.8, 0], token: 1).target == .punctuation)
        let spread = focus([0.2, 0.2, 0.2, 0.2, 0.2])
        #expect(spread.target == .spread)
        #expect(abs(spread.share - 0.2) < 1e-6)
        #expect(abs(spread.entropy - log(5)) < 1e-6)
        // [CLS] right before "the": counted as the start token, the tie going to it.
        let first = focus([0.9, 0.1, 0, 0, 0], token: 1)
        #expect(first.target == .start && abs(first.share - 0.9) < 1e-6)
        let entropy = -(0.9 * log(0.9) + 0.1 * log(0.1))
        #expect(abs(first.entropy - entropy) < 1e-6)
    }

    @Test("grouped roles: a word is punctuation or special only when all its pieces are")
    func groupedRoles() {
        let roles = TokenRoles(encoding).grouped([[0], [1, 2], [3], [4]])
        #expect(roles.isStart == [true, false, false, false])
        #expect(roles.isSeparator == [false, false, false, true])
        #expect(roles.isPunctuation == [false, false, true, false])
    }

    @Test("rollout: 0.5·A + 0.5·I per layer, heads averaged, multiplied from layer 1 up")
    func rollout() {
        // Layer 1, two heads: one looks at the other token, one at itself; their mean is all 0.5.
        let swap = Matrix(rows: 2, columns: 2, values: [0, 1, 1, 0])
        let identity = Matrix(rows: 2, columns: 2, values: [1, 0, 0, 1])
        // Layer 2, one head: both tokens look at token 0.
        let toFirst = Matrix(rows: 2, columns: 2, values: [1, 0, 1, 0])
        let flows = AttentionViews.rollout([1: [swap, identity], 2: [toFirst]], through: 2)
        // Layer 1: 0.5 · [[.5 .5] [.5 .5]] + 0.5 · I = [[.75 .25] [.25 .75]].
        #expect(flows[0].values == [0.75, 0.25, 0.25, 0.75])
        // Layer 2: (0.5 · toFirst + 0.5 · I) = [[1 0] [.5 .5]], times layer 1's flow.
        #expect(flows[1].values == [0.75, 0.25, 0.5, 0.5])
    }

    @Test("on a real pass: every layer's head statistics are shares in [0, 1] and entropy is within [0, ln T]")
    func onThePass() throws {
        let model = try ModelFolder.model(in: Self.folder)
        let encoding = self.encoding
        let output = try model.forward([ModelInput(ids: encoding.ids, typeIds: encoding.typeIds)], attentions: .all)[0]
        let stats = HeadStatistics.all(output.attentions, roles: TokenRoles(encoding))
        #expect(stats.count == model.config.layerCount * model.config.headCount)
        #expect(stats.map(\.layer) == (1...model.config.layerCount).flatMap { Array(repeating: $0, count: model.config.headCount) })
        for head in stats {
            for share in [head.toStart, head.toSeparator, head.toSelf, head.toPrevious, head.toNext, head.toPunctuation] {
                #expect((0...1.000001).contains(share))
            }
            #expect(head.entropy >= 0 && head.entropy <= log(Double(encoding.count)) + 1e-6)
        }
        // Only the layers asked for are returned.
        let some = try model.forward([ModelInput(ids: encoding.ids)], attentions: .layers([2]))[0]
        #expect(Array(some.attentions.keys) == [2])
        #expect(some.attentions[2] == output.attentions[2])
        #expect(try model.forward([ModelInput(ids: encoding.ids)])[0].attentions.isEmpty)
    }
}
