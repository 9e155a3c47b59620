/// SimAlign's ways to read links off a similarity matrix (Jalili Sabet et al., 2020).
public enum AlignmentMethod: String, Sendable, CaseIterable, Codable {
    /// Links where the row's and the column's best match agree (SimAlign's "inter").
    case argmax
    /// argmax, then argmax again among the pairs with at least one side left unaligned (SimAlign's α = 0.9,
    /// two rounds).
    case itermax
    /// Maximum-weight bipartite matching (SimAlign's "mwmf").
    case match
}

/// What the similarity matrix is made of.
public enum AlignmentLevel: String, Sendable, CaseIterable, Codable {
    /// One row per piece; a word pair is linked when any of their pieces are (SimAlign's "bpe").
    case piece
    /// One row per word, its pieces' vectors averaged (SimAlign's "word").
    case word
}

/// One link: word number `source` (`Word.index`) of the first text with word `target` of the second, and the cosine that linked
/// them (at piece level the highest cosine of their linked pieces).
public struct AlignmentLink: Sendable, Hashable, Comparable {
    public var source: Int
    public var target: Int
    public var cosine: Double

    public static func < (a: AlignmentLink, b: AlignmentLink) -> Bool { (a.source, a.target) < (b.source, b.target) }
}

public struct WordAlignmentOptions: Sendable {
    public var method: AlignmentMethod
    public var level: AlignmentLevel
    public var layer: LayerChoice
    /// SimAlign's distortion ratio: similarities of pairs far from the diagonal are scaled down by
    /// 1 - ratio × (relative position difference)²; 0 leaves them.
    public var distortion: Double
    /// Subtracted from every vector before the cosines (centring), when given.
    public var centroid: [Float]?

    public init(method: AlignmentMethod = .argmax, level: AlignmentLevel = .piece, layer: LayerChoice,
                distortion: Double = 0, centroid: [Float]? = nil) {
        self.method = method
        self.level = level
        self.layer = layer
        self.distortion = distortion
        self.centroid = centroid
    }

    /// bertscope's default: the sum of layers 5 to 8 of 12, up to SimAlign's layer (8 of 12, their finding
    /// for mBERT and XLM-R), the same shares of other depths (one layer when the model is too shallow for a
    /// range). With centring it had the lowest AER on XL-WA of the sums tried, below SimAlign's layer 8 and
    /// either change alone (docs/BENCHMARKS.md, "Word alignment quality").
    public static func defaultLayer(layerCount: Int) -> LayerChoice {
        let high = (layerCount * 2 + 1) / 3
        let low = high - layerCount / 4
        return low < high ? .sum(low...high) : .layer(high)
    }
}

/// The word alignment of two texts.
public struct WordAlignment: Sendable {
    /// Sorted by source, then target word; each pair once.
    public var links: [AlignmentLink]

    public init(_ a: EmbeddedText, words wordsA: [Word], _ b: EmbeddedText, words wordsB: [Word], options: WordAlignmentOptions) {
        func prepare(_ vector: [Float]) -> [Float] { options.centroid.map { VectorMath.subtract(vector, $0) } ?? vector }
        // The rows and columns: words, or every piece of every word with the words it belongs to.
        let rowsA: [(vector: [Float], words: [Int])]
        let rowsB: [(vector: [Float], words: [Int])]
        switch options.level {
        case .word:
            rowsA = wordsA.map { (prepare(a.wordVector($0, layer: options.layer, pooling: .mean)), [$0.index]) }
            rowsB = wordsB.map { (prepare(b.wordVector($0, layer: options.layer, pooling: .mean)), [$0.index]) }
        case .piece:
            rowsA = Self.pieceRows(a, wordsA, options.layer).map { (prepare($0.vector), $0.words) }
            rowsB = Self.pieceRows(b, wordsB, options.layer).map { (prepare($0.vector), $0.words) }
        }
        let cosines = VectorMath.cosineMatrix(rowsA.map(\.vector), rowsB.map(\.vector))
        let similarity = AlignmentMatrix.distorted(AlignmentMatrix.similarity(cosines), ratio: options.distortion)
        let linked: [[Bool]]
        switch options.method {
        case .argmax: linked = AlignmentMatrix.mutualArgmax(similarity)
        case .itermax: linked = AlignmentMatrix.iterMax(similarity)
        case .match: linked = AlignmentMatrix.maximumWeightMatching(similarity)
        }
        var best = [Pair: Double]()
        for row in linked.indices {
            for column in linked[row].indices where linked[row][column] {
                for source in rowsA[row].words {
                    for target in rowsB[column].words {
                        let key = Pair(source: source, target: target)
                        best[key] = max(best[key] ?? -.infinity, cosines[row][column])
                    }
                }
            }
        }
        links = best.map { AlignmentLink(source: $0.key.source, target: $0.key.target, cosine: $0.value) }.sorted()
    }

    private struct Pair: Hashable {
        var source: Int
        var target: Int
    }

    /// Each piece of the words, in text order, with the words it stands for (a piece that covers a word with no
    /// piece of its own stands for that word too).
    private static func pieceRows(_ text: EmbeddedText, _ words: [Word], _ layer: LayerChoice) -> [(vector: [Float], words: [Int])] {
        var wordsOfPiece = [Int: [Int]]()
        for word in words { for token in word.tokens { wordsOfPiece[token, default: []].append(word.index) } }
        return wordsOfPiece.sorted { $0.key < $1.key }.map { (text.pieceVector($0.key, layer: layer), $0.value) }
    }
}
