import Foundation
import ModelLoader
import TestSupport
import Testing
import Tokenization

@testable import Embeddings

@Suite("Alignment decisions on a similarity matrix")
struct AlignmentMatrixTests {
    @Test("argmax keeps only pairs that are each other's best match; the first of equal values wins")
    func mutualArgmax() {
        let linked = AlignmentMatrix.mutualArgmax([[0.9, 0.8, 0.1], [0.85, 0.3, 0.2], [0.1, 0.2, 0.7]])
        #expect(linked == [[true, false, false], [false, false, false], [false, false, true]])
        #expect(AlignmentMatrix.mutualArgmax([[0.5, 0.5]]) == [[true, false]])
    }

    @Test("itermax's second round links the words left over, with α 0.9 on pairs of which one side is linked")
    func iterMax() {
        // Round 1 links 0-0 and 2-2. Round 2 masks entries whose row and column are both linked, scales those
        // with one side linked by 0.9: row 1 ([0.765, 0.3, 0.18]) and column 0 ([0, 0.765, 0]) agree on 1-0,
        // column 1 ([0.72, 0.3, 0.18]) and row 0 ([0, 0.72, 0]) on 0-1.
        let linked = AlignmentMatrix.iterMax([[0.9, 0.8, 0.1], [0.85, 0.3, 0.2], [0.1, 0.2, 0.7]])
        #expect(linked == [[true, true, false], [true, false, false], [false, false, true]])
    }

    @Test("itermax on a matrix with two rows or fewer is argmax")
    func iterMaxSmall() {
        let matrix = [[0.9, 0.8, 0.1], [0.85, 0.3, 0.2]]
        #expect(AlignmentMatrix.iterMax(matrix) == AlignmentMatrix.mutualArgmax(matrix))
    }

    @Test("match finds the maximum-weight matching of min(rows, columns) pairs (brute force over every assignment)",
          arguments: [(3, 3), (4, 6), (6, 4), (1, 5), (5, 1), (7, 7)])
    func matching(rows: Int, columns: Int) {
        var random = SplitMix64(seed: UInt64(rows * 31 + columns))
        for _ in 0..<20 {
            let matrix = (0..<rows).map { _ in (0..<columns).map { _ in Double(random.nextSignedUnit() + 1) / 2 } }
            let linked = AlignmentMatrix.maximumWeightMatching(matrix)
            let pairs = linked.indices.flatMap { row in linked[row].indices.filter { linked[row][$0] }.map { (row, $0) } }
            #expect(pairs.count == min(rows, columns))
            #expect(Set(pairs.map(\.0)).count == pairs.count && Set(pairs.map(\.1)).count == pairs.count)
            let total = pairs.reduce(0) { $0 + matrix[$1.0][$1.1] }
            #expect(abs(total - Self.bestMatchingWeight(matrix)) < 1e-12)
        }
    }

    /// The largest sum over every injective assignment of the smaller side to the larger.
    static func bestMatchingWeight(_ matrix: [[Double]]) -> Double {
        let transposed = matrix.count > matrix[0].count
        let m = transposed ? (0..<matrix[0].count).map { column in matrix.map { $0[column] } } : matrix
        func best(_ row: Int, _ used: Set<Int>) -> Double {
            guard row < m.count else { return 0 }
            return m[row].indices.filter { !used.contains($0) }.map { m[row][$0] + best(row + 1, used.union([$0])) }.max() ?? 0
        }
        return best(0, [])
    }

    @Test("distortion scales by 1 - ratio × (relative position difference)²; ratio 0 changes nothing")
    func distortion() {
        let matrix = [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
        let distorted = AlignmentMatrix.distorted(matrix, ratio: 0.5)
        #expect(distorted[0] == [1, 1 - 0.25 * 0.5, 0.5])
        #expect(distorted[1] == [0.5, 1 - 0.25 * 0.5, 1])
        #expect(AlignmentMatrix.distorted(matrix, ratio: 0) == matrix)
        #expect(AlignmentMatrix.similarity([[-1, 0, 1]]) == [[0, 0.5, 1]])
    }
}

@Suite("Gold links and alignment error rate")
struct AlignmentScoreTests {
    @Test("precision |A∩P|/|A|, recall |A∩S|/|S|, AER 1 - (|A∩S| + |A∩P|)/(|A| + |S|)")
    func score() throws {
        let gold = try GoldAlignment("0-0 1p1 1-2", oneBased: false, sourceWords: 3, targetWords: 3)
        #expect(gold.sure == [.init(0, 0), .init(1, 2)])
        #expect(gold.possible == [.init(0, 0), .init(1, 1), .init(1, 2)])
        var score = AlignmentScore()
        score.add([0, 1, 2].map { AlignmentLink(source: $0, target: $0, cosine: 1) }, gold: gold)
        #expect(score.precision == 2.0 / 3)
        #expect(score.recall == 0.5)
        #expect(abs(score.f1 - 2 * (2.0 / 3) * 0.5 / (2.0 / 3 + 0.5)) < 1e-15)
        #expect(abs(score.alignmentErrorRate - 0.4) < 1e-15)
    }

    @Test("one-based gold, and bad or out-of-range links are errors that say which")
    func parsing() throws {
        let oneBased = try GoldAlignment("1-1 2p3", oneBased: true, sourceWords: 2, targetWords: 3)
        #expect(oneBased.possible == [.init(0, 0), .init(1, 2)])
        #expect(errorDescription { _ = try GoldAlignment("0-3", oneBased: false, sourceWords: 2, targetWords: 3) }.contains("out of range"))
        #expect(errorDescription { _ = try GoldAlignment("0-0 x", oneBased: false, sourceWords: 2, targetWords: 3) }.contains("\"x\" is not a link"))
        #expect(errorDescription { _ = try GoldAlignment("0-0", oneBased: true, sourceWords: 2, targetWords: 3) }.contains("out of range"))
    }
}

@Suite("Linguistic words of a SentencePiece encoding")
struct WordPiecesTests {
    static func tokenizer() throws -> any TextTokenizer {
        try ModelFolder.tokenizer(in: try TestPaths.require(TestPaths.e5Model, madeBy: "scripts/fetch_test_assets.sh").deletingLastPathComponent())
    }

    @Test("a piece belongs to the word of its first character; one that runs into the next word is flagged and lent to it")
    func crossingPiece() throws {
        // XLM-R: ▁ 晴れ る でしょう 。 (▁'s offsets take 晴); ICU: 晴れる / で / しょう.
        let encoding = try Self.tokenizer().encode("晴れるでしょう。")
        #expect(encoding.tokens == ["<s>", "▁", "晴れ", "る", "でしょう", "。", "</s>"])
        let pieces = try WordPieces(encoding: encoding, source: .linguistic)
        #expect(pieces.words.map(\.text) == ["晴れる", "で", "しょう"])
        #expect(pieces.words.map(\.tokens) == [1..<4, 4..<5, 4..<5])
        #expect(pieces.words.map(\.span) == [TextSpan(0, 3), TextSpan(3, 4), TextSpan(4, 7)])
        #expect(pieces.pieceWords == [nil, 0, 0, 0, 1, nil, nil])
        #expect(pieces.crossesWordBoundary == [false, false, false, false, true, false, false])
    }

    @Test("Thai words out of one tokenizer word; punctuation and spaces are no words")
    func thai() throws {
        let encoding = try Self.tokenizer().encode("สวัสดีครับ ผมชื่อสมชาย!")
        let pieces = try WordPieces(encoding: encoding, source: .linguistic)
        #expect(pieces.words.map(\.text) == ["สวัสดี", "ครับ", "ผม", "ชื่อ", "สมชาย"])
        #expect(pieces.wordCount == 5)
        #expect(!pieces.crossesWordBoundary.contains(true))
        let exclamation = try #require(encoding.tokens.lastIndex { $0.hasSuffix("!") })
        #expect(pieces.pieceWords[exclamation] == nil)
    }

    @Test("whitespace words (--pretokenized) and the tokenizer's own words")
    func otherSources() throws {
        let encoding = try Self.tokenizer().encode("晴れるでしょう 。 ok")
        #expect(try WordPieces(encoding: encoding, source: .whitespace).words.map(\.text) == ["晴れるでしょう", "。", "ok"])
        #expect(try WordPieces(encoding: encoding, source: .tokenizer).words == EmbeddedText.words(of: encoding))
    }
}
