import BertEngine
import Foundation
import ModelLoader
import TestSupport
import Testing
import Tokenization

@testable import Embeddings

@Suite("Word vectors, pooling and similarity")
struct EmbeddingsTests {
    static let folder = TestPaths.fixtures.appendingPathComponent("engine/tiny-modern")
    static let tokenizer = try! BertTokenizer(modelFolder: folder)
    static let model = try! ModelFolder.model(in: folder)

    func embed(_ text: String) throws -> EmbeddedText {
        try EmbeddedText(text, tokenizer: Self.tokenizer, model: Self.model)
    }

    @Test("words group their pieces and keep their text and span")
    func words() throws {
        let text = try embed("the barks dog")
        let words = text.words()
        #expect(words.map(\.text) == ["the", "barks", "dog"])
        #expect(words[1].tokens.count == 2)  // bark ##s
        #expect(words[2].span == TextSpan(10, 13))
    }

    @Test("pooling: first, mean, max and sum of the pieces' vectors")
    func pooling() throws {
        let text = try embed("barks")
        let word = text.words()[0]
        let pieces = word.tokens.map { text.pieceVector($0, layer: .layer(2)) }
        #expect(text.wordVector(word, layer: .layer(2), pooling: .first) == pieces[0])
        let mean = text.wordVector(word, layer: .layer(2), pooling: .mean)
        let sum = text.wordVector(word, layer: .layer(2), pooling: .sum)
        let maximum = text.wordVector(word, layer: .layer(2), pooling: .max)
        for dimension in pieces[0].indices {
            #expect(abs(sum[dimension] - (pieces[0][dimension] + pieces[1][dimension])) < 1e-6)
            #expect(abs(mean[dimension] - sum[dimension] / 2) < 1e-6)
            #expect(maximum[dimension] == max(pieces[0][dimension], pieces[1][dimension]))
        }
    }

    @Test("sum of the last four layers adds layers N-3...N (all there are in a 2-layer model)")
    func sumOfLastFour() throws {
        let text = try embed("dog")
        let summed = text.pieceVector(1, layer: .sumOfLastFour)
        let expected = (0...2).map { text.pieceVector(1, layer: .layer($0)) }
        for dimension in summed.indices {
            #expect(abs(summed[dimension] - expected.reduce(0) { $0 + $1[dimension] }) < 1e-5)
        }
    }

    @Test("A-B parses as the sum of layers A to B and adds exactly those; a reversed, single or out-of-range range is no layer")
    func layerRange() throws {
        #expect(LayerChoice("1-2", layerCount: 2) == .sum(1...2))
        #expect(LayerChoice("0-2", layerCount: 2) == .sum(0...2))
        for bad in ["2-1", "1-1", "1-3", "-1-2", "1-", "-2", "a-b", "1-2-3"] {
            #expect(LayerChoice(bad, layerCount: 2) == nil, "\(bad)")
        }
        let text = try embed("dog")
        let summed = text.pieceVector(1, layer: .sum(1...2))
        let (one, two) = (text.pieceVector(1, layer: .layer(1)), text.pieceVector(1, layer: .layer(2)))
        #expect(summed.indices.allSatisfy { summed[$0] == one[$0] + two[$0] })
        #expect(LayerChoice.sum(1...2).layers(layerCount: 2) == 1...2 && LayerChoice.sumOfLastFour.layers(layerCount: 12) == 9...12)
    }

    @Test("a cosine never leaves [-1, 1], even where rounding puts dot / (norm · norm) past 1")
    func cosineStaysInRange() throws {
        var generator = SplitMix64(seed: 7)
        // Vectors whose self-cosine, computed plainly, rounds above 1 (and their negations, below -1).
        var overshooting = [[Float]]()
        for _ in 0..<2000 where overshooting.count < 5 {
            let vector = (0..<384).map { _ in generator.nextSignedUnit() }
            let plain = VectorMath.dot(vector, vector) / (VectorMath.norm(vector) * VectorMath.norm(vector))
            if plain > 1 { overshooting.append(vector) }
        }
        #expect(overshooting.count == 5, "no vector found whose plain self-cosine exceeds 1: the check is void")
        for vector in overshooting {
            let negated = vector.map { -$0 }
            #expect(VectorMath.cosine(vector, vector) == 1)
            #expect(VectorMath.cosine(vector, negated) == -1)
            #expect(VectorMath.cosineMatrix([vector, negated], [vector]).map(\.[0]) == [1, -1])
        }
        // Not a number stays not a number, rather than becoming a plausible -1 or 0.
        #expect(VectorMath.cosine([.infinity, 1], [1, 1]).isNaN)
        #expect(VectorMath.cosine([.nan, 1], [1, 1]).isNaN)
    }

    @Test("cosine, norm and the cross-sentence matrix with best matches")
    func crossSimilarity() throws {
        #expect(VectorMath.cosine([1, 0], [0, 1]) == 0)
        #expect(abs(VectorMath.cosine([1, 2], [2, 4]) - 1) < 1e-12)
        let a = try embed("the dog barks")
        let b = try embed("dog the")
        let similarity = CrossSimilarity(a, words: a.words(), b, words: b.words(), layer: .layer(2), pooling: .mean)
        #expect(similarity.matrix.count == 3 && similarity.matrix[0].count == 2)
        #expect(similarity.bestMatchesA.count == 3)
        let direct = VectorMath.cosine(a.wordVector(a.words()[1], layer: .layer(2), pooling: .mean),
                                       b.wordVector(b.words()[0], layer: .layer(2), pooling: .mean))
        #expect(abs(similarity.matrix[1][0] - direct) < 1e-12)
        #expect(similarity.poolerCosine != nil)
    }

    @Test("centring removes the common direction: the baseline drops")
    func baseline() throws {
        let baseline = try Baseline(sentences: TestPaths.baselineSentences, tokenizer: Self.tokenizer, model: Self.model, layer: .layer(2), pooling: .mean)
        #expect(baseline.centredMeanCosine < baseline.meanCosine)
        #expect(baseline.centroid.count == Self.model.config.hiddenSize)
    }

    @Test("PCA separates two clusters along the first axis")
    func projection() {
        let points: [[Float]] = [[10, 0, 1], [10.5, 0.2, 1], [-10, 0, 1], [-9.5, -0.2, 1]]
        let projected = VectorMath.projectTo2D(points)
        #expect((projected[0].x > 0) == (projected[1].x > 0))
        #expect((projected[0].x > 0) != (projected[2].x > 0))
        #expect(abs(projected[0].x) > 5 * abs(projected[0].y))
    }
}
