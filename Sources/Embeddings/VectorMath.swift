/// Small vector operations on `[Float]`, accumulated in Double so results do not depend on length.
public enum VectorMath {
    public static func dot(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "vectors of different sizes: \(a.count) and \(b.count)")
        var sum = 0.0
        for index in a.indices { sum += Double(a[index]) * Double(b[index]) }
        return sum
    }

    public static func norm(_ a: [Float]) -> Double { dot(a, a).squareRoot() }

    /// Cosine similarity, within [-1, 1]; 0 when either vector is zero.
    public static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        cosine(dot: dot(a, b), norms: norm(a) * norm(b))
    }

    /// dot / norms, clamped: rounding can put the cosine of a vector with itself a few ulps above 1. NaN (from
    /// infinite values) stays NaN: clamping would turn it into a plausible -1.
    private static func cosine(dot: Double, norms: Double) -> Double {
        guard norms != 0 else { return 0 }
        let value = dot / norms
        return value.isNaN ? value : min(1, max(-1, value))
    }

    public static func mean(_ a: [Float]) -> Double {
        a.isEmpty ? 0 : a.reduce(0.0) { $0 + Double($1) } / Double(a.count)
    }

    /// Population standard deviation.
    public static func standardDeviation(_ a: [Float]) -> Double {
        let average = mean(a)
        return a.isEmpty ? 0 : (a.reduce(0.0) { $0 + (Double($1) - average) * (Double($1) - average) } / Double(a.count)).squareRoot()
    }

    /// Elementwise mean of equally long vectors.
    public static func centroid(_ vectors: [[Float]]) -> [Float] {
        guard let first = vectors.first else { return [] }
        var sum = [Double](repeating: 0, count: first.count)
        for vector in vectors { for index in vector.indices { sum[index] += Double(vector[index]) } }
        return sum.map { Float($0 / Double(vectors.count)) }
    }

    public static func subtract(_ a: [Float], _ b: [Float]) -> [Float] { zip(a, b).map { $0 - $1 } }

    /// cosines[i][j] = cosine(rows[i], columns[j]).
    public static func cosineMatrix(_ rows: [[Float]], _ columns: [[Float]]) -> [[Double]] {
        let columnNorms = columns.map(norm)
        return rows.map { row in
            let rowNorm = norm(row)
            return columns.indices.map { cosine(dot: dot(row, columns[$0]), norms: rowNorm * columnNorms[$0]) }
        }
    }

    /// Indices of the `count` largest absolute values, largest first.
    public static func largestDimensions(_ a: [Float], count: Int) -> [Int] {
        Array(a.indices.sorted { abs(a[$0]) != abs(a[$1]) ? abs(a[$0]) > abs(a[$1]) : $0 < $1 }.prefix(count))
    }

    /// The first two principal components' coordinates of each vector (rows centred first), by power
    /// iteration with deflation: enough for a 2-D scatter of a few hundred pinned vectors.
    public static func projectTo2D(_ vectors: [[Float]], iterations: Int = 100) -> [(x: Double, y: Double)] {
        guard vectors.count > 1, let dimension = vectors.first?.count, dimension > 0 else {
            return vectors.map { _ in (0, 0) }
        }
        let center = centroid(vectors)
        let rows = vectors.map { zip($0, center).map { Double($0 - $1) } }
        func covarianceTimes(_ v: [Double]) -> [Double] {
            var result = [Double](repeating: 0, count: dimension)
            for row in rows {
                var projection = 0.0
                for index in 0..<dimension { projection += row[index] * v[index] }
                for index in 0..<dimension { result[index] += projection * row[index] }
            }
            return result
        }
        func normalized(_ v: [Double]) -> [Double] {
            let length = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return length > 0 ? v.map { $0 / length } : v
        }
        var components = [[Double]]()
        for component in 0..<2 {
            // A deterministic start that is not orthogonal to typical data.
            var v = normalized((0..<dimension).map { Double(($0 * 7 + component * 13) % 11) - 5 })
            for _ in 0..<iterations {
                var next = covarianceTimes(v)
                for previous in components {
                    let overlap = zip(next, previous).reduce(0) { $0 + $1.0 * $1.1 }
                    next = zip(next, previous).map { $0 - overlap * $1 }
                }
                v = normalized(next)
            }
            components.append(v)
        }
        return rows.map { row in
            (zip(row, components[0]).reduce(0) { $0 + $1.0 * $1.1 }, zip(row, components[1]).reduce(0) { $0 + $1.0 * $1.1 })
        }
    }
}
