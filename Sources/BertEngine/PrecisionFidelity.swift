/// How far one encoder's hidden states lie from another's on the same inputs (a reduced precision from
/// f32): per layer, the cosine of every token's vector to its reference vector and the largest absolute
/// difference of any value. Sums are in Double, so the measure does not add its own rounding.
public struct PrecisionFidelity: Sendable {
    public struct Layer: Sendable, Equatable {
        /// 0 is the embeddings' output, i layer i's.
        public var index: Int
        /// Every token of every sequence, in order.
        public var cosines: [Double]
        public var maxAbsDifference: Double

        public var minCosine: Double { cosines.min() ?? 1 }
        public var meanCosine: Double { cosines.isEmpty ? 1 : cosines.reduce(0, +) / Double(cosines.count) }
    }

    public var layers: [Layer]

    /// No tokens yet (`append` adds them).
    public init() { layers = [] }

    /// `compared` against `reference`: the same inputs' outputs, sequence by sequence.
    public init(reference: [ModelOutput], compared: [ModelOutput]) {
        precondition(reference.count == compared.count, "outputs of different batches")
        let layerCount = reference.first?.hiddenStates.count ?? 0
        layers = (0..<layerCount).map { index in
            var layer = Layer(index: index, cosines: [], maxAbsDifference: 0)
            for (expected, actual) in zip(reference, compared) {
                let (a, b) = (expected.hiddenStates[index], actual.hiddenStates[index])
                precondition(a.rows == b.rows && a.columns == b.columns, "hidden states of different shapes")
                for row in 0..<a.rows {
                    layer.cosines.append(Self.cosine(a[row], b[row]))
                    for (x, y) in zip(a[row], b[row]) { layer.maxAbsDifference = max(layer.maxAbsDifference, abs(Double(x) - Double(y))) }
                }
            }
            return layer
        }
    }

    /// Adds another batch's tokens, layer by layer (the same model's layers).
    public mutating func append(_ other: PrecisionFidelity) {
        guard !layers.isEmpty else {
            self = other
            return
        }
        precondition(layers.count == other.layers.count, "fidelities of different models")
        for (index, layer) in other.layers.enumerated() {
            layers[index].cosines += layer.cosines
            layers[index].maxAbsDifference = max(layers[index].maxAbsDifference, layer.maxAbsDifference)
        }
    }

    /// Two zero vectors agree (1); a zero vector and another one do not (0).
    static func cosine(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        var (product, squaresA, squaresB) = (0.0, 0.0, 0.0)
        for (x, y) in zip(a, b) {
            product += Double(x) * Double(y)
            squaresA += Double(x) * Double(x)
            squaresB += Double(y) * Double(y)
        }
        if squaresA == 0 || squaresB == 0 { return squaresA == squaresB ? 1 : 0 }
        return min(1, max(-1, product / (squaresA * squaresB).squareRoot()))
    }
}
