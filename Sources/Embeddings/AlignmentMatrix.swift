/// SimAlign's decisions on a similarity matrix (rows: the first text's words or pieces, columns: the
/// second's), as its reference code makes them, so links come out identical: the first index wins a tie, as
/// NumPy's argmax.
public enum AlignmentMatrix {
    /// SimAlign's similarity: (cosine + 1) / 2, within [0, 1], so a masked-out entry (0) never beats a real one.
    public static func similarity(_ cosines: [[Double]]) -> [[Double]] {
        cosines.map { row in row.map { ($0 + 1) / 2 } }
    }

    /// Scales each entry by 1 - ratio × (i/(m-1) - j/(n-1))²: pairs far from the diagonal lose. A matrix with
    /// fewer than two rows or columns, or ratio 0, is returned as it is.
    public static func distorted(_ matrix: [[Double]], ratio: Double) -> [[Double]] {
        let rows = matrix.count, columns = matrix.first?.count ?? 0
        guard rows >= 2, columns >= 2, ratio != 0 else { return matrix }
        return matrix.enumerated().map { row, values in
            values.enumerated().map { column, value in
                let offset = Double(column) / Double(columns - 1) - Double(row) / Double(rows - 1)
                return value * (1 - offset * offset * ratio)
            }
        }
    }

    /// The index of the largest value, the first of equals.
    static func argmax(_ values: [Double]) -> Int {
        var best = 0
        for index in values.indices where values[index] > values[best] { best = index }
        return best
    }

    static func rowArgmax(_ matrix: [[Double]]) -> [Int] { matrix.map { argmax($0) } }

    static func columnArgmax(_ matrix: [[Double]]) -> [Int] {
        guard let columns = matrix.first?.count else { return [] }
        return (0..<columns).map { column in argmax(matrix.map { $0[column] }) }
    }

    /// Links where a row's best column and that column's best row agree.
    public static func mutualArgmax(_ matrix: [[Double]]) -> [[Bool]] {
        let bestColumn = rowArgmax(matrix), bestRow = columnArgmax(matrix)
        return matrix.indices.map { row in matrix[row].indices.map { bestColumn[row] == $0 && bestRow[$0] == row } }
    }

    /// SimAlign's itermax: mutual argmax, then rounds of mutual argmax on the matrix with every entry whose
    /// row and column are both linked set to 0, and entries with one of the two linked scaled by α = 0.9;
    /// a new link needs a row or a column not yet linked. Matrices with at most two rows or columns keep the
    /// first round.
    public static func iterMax(_ matrix: [[Double]], rounds: Int = 2, alpha: Double = 0.9) -> [[Bool]] {
        var linked = mutualArgmax(matrix)
        let rows = matrix.count, columns = matrix.first?.count ?? 0
        guard min(rows, columns) > 2 else { return linked }
        for _ in 1..<rounds {
            let rowFree = linked.map { !$0.contains(true) }
            let columnFree = (0..<columns).map { column in !linked.contains { $0[column] } }
            guard rowFree.contains(true), columnFree.contains(true) else { break }
            let masked = (0..<rows).map { row in
                (0..<columns).map { column in
                    matrix[row][column] * min(1, alpha * (rowFree[row] ? 1 : 0) + alpha * (columnFree[column] ? 1 : 0))
                }
            }
            let bestColumn = rowArgmax(masked), bestRow = columnArgmax(masked)
            var added = false
            for row in 0..<rows {
                let column = bestColumn[row]
                if bestRow[column] == row && (rowFree[row] || columnFree[column]) && !linked[row][column] {
                    linked[row][column] = true
                    added = true
                }
            }
            if !added { break }
        }
        return linked
    }

    /// The matching of min(rows, columns) pairs, each row and column at most once, with the largest sum
    /// (the Hungarian algorithm, O(n²·m)).
    public static func maximumWeightMatching(_ matrix: [[Double]]) -> [[Bool]] {
        let rows = matrix.count, columns = matrix.first?.count ?? 0
        var linked = [[Bool]](repeating: [Bool](repeating: false, count: columns), count: rows)
        guard rows > 0, columns > 0 else { return linked }
        // The algorithm assigns every row of a matrix with no more rows than columns: transpose if needed.
        let transposed = rows > columns
        let n = transposed ? columns : rows, m = transposed ? rows : columns
        func cost(_ i: Int, _ j: Int) -> Double { -(transposed ? matrix[j][i] : matrix[i][j]) }
        // Potentials u (rows) and v (columns), 1-based with column 0 as the free start; assignedRow[j] is the
        // row matched to column j.
        var u = [Double](repeating: 0, count: n + 1), v = [Double](repeating: 0, count: m + 1)
        var assignedRow = [Int](repeating: 0, count: m + 1), previousColumn = [Int](repeating: 0, count: m + 1)
        for row in 1...n {
            assignedRow[0] = row
            var column0 = 0
            var minimum = [Double](repeating: .infinity, count: m + 1)
            var used = [Bool](repeating: false, count: m + 1)
            repeat {
                used[column0] = true
                let row0 = assignedRow[column0]
                var delta = Double.infinity, column1 = 0
                for column in 1...m where !used[column] {
                    let reduced = cost(row0 - 1, column - 1) - u[row0] - v[column]
                    if reduced < minimum[column] {
                        minimum[column] = reduced
                        previousColumn[column] = column0
                    }
                    if minimum[column] < delta {
                        delta = minimum[column]
                        column1 = column
                    }
                }
                for column in 0...m {
                    if used[column] {
                        u[assignedRow[column]] += delta
                        v[column] -= delta
                    } else {
                        minimum[column] -= delta
                    }
                }
                column0 = column1
            } while assignedRow[column0] != 0
            repeat {
                let column1 = previousColumn[column0]
                assignedRow[column0] = assignedRow[column1]
                column0 = column1
            } while column0 != 0
        }
        for column in 1...m where assignedRow[column] != 0 {
            let (i, j) = (assignedRow[column] - 1, column - 1)
            if transposed { linked[j][i] = true } else { linked[i][j] = true }
        }
        return linked
    }
}
