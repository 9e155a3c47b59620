/// Word-by-word similarity of two texts: the matrix, each word's best match, and sentence cosines.
public struct CrossSimilarity: Sendable {
    public var wordsA: [Word]
    public var wordsB: [Word]
    /// matrix[i][j] = cosine(word i of A, word j of B).
    public var matrix: [[Double]]
    /// Cosine of the two texts' mean-pooled vectors.
    public var sentenceCosine: Double
    /// Cosine of the two pooler outputs, when the model has a pooler.
    public var poolerCosine: Double?

    /// For each word of A, the index of its most similar word of B.
    public var bestMatchesA: [Int] { matrix.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 } }
    /// For each word of B, the index of its most similar word of A.
    public var bestMatchesB: [Int] {
        wordsB.indices.map { column in matrix.indices.max { matrix[$0][column] < matrix[$1][column] } ?? 0 }
    }

    /// Compares the words `source` gives (linguistic words: ICU's word boundaries).
    /// - Parameter centroid: subtracted from every vector first (centring), when given.
    public init(_ a: EmbeddedText, _ b: EmbeddedText, words source: WordSource, layer: LayerChoice, pooling: Pooling,
                centroid: [Float]? = nil) throws {
        self.init(a, words: try WordPieces(encoding: a.encoding, source: source).words,
                  b, words: try WordPieces(encoding: b.encoding, source: source).words, layer: layer, pooling: pooling, centroid: centroid)
    }

    /// Compares words already found (the explorer keeps each line's, from the same `WordPieces`).
    public init(_ a: EmbeddedText, words wordsA: [Word], _ b: EmbeddedText, words wordsB: [Word], layer: LayerChoice, pooling: Pooling,
                centroid: [Float]? = nil) {
        func prepare(_ vector: [Float]) -> [Float] { centroid.map { VectorMath.subtract(vector, $0) } ?? vector }
        self.wordsA = wordsA
        self.wordsB = wordsB
        let vectorsA = wordsA.map { prepare(a.wordVector($0, layer: layer, pooling: pooling)) }
        let vectorsB = wordsB.map { prepare(b.wordVector($0, layer: layer, pooling: pooling)) }
        matrix = VectorMath.cosineMatrix(vectorsA, vectorsB)
        sentenceCosine = VectorMath.cosine(prepare(a.sentenceVector(layer: layer)), prepare(b.sentenceVector(layer: layer)))
        if let pooledA = a.output.poolerOutput, let pooledB = b.output.poolerOutput {
            poolerCosine = VectorMath.cosine(pooledA, pooledB)
        }
    }
}
