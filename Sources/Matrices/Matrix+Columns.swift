/// Slicing and joining columns, and scaling rows: how heads are cut out of Q, K and V and put
/// back together, and how a column of factors (ξ, ζ, a row norm) multiplies a matrix.
extension Matrix where Element: RealScalar {
    /// Columns `range` as a matrix: one head's slice of Q, K or V.
    public func columnRange(_ range: Range<Int>) -> Matrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= columns, "columns \(range) outside 0..<\(columns)")
        return Matrix(rows: rows, columns: range.count) { i, j in self[i, range.lowerBound + j] }
    }

    /// Matrices side by side (equal row counts): the heads concatenated back into one row.
    public static func concatenatingColumns(_ parts: [Matrix], rows: Int) -> Matrix {
        let width = parts.reduce(0) { $0 + $1.columns }
        var entries: [Element] = []
        entries.reserveCapacity(rows * width)
        for i in 0..<rows {
            for part in parts {
                precondition(part.rows == rows, "cannot place \(part.shape) beside matrices of \(rows) rows")
                entries.append(contentsOf: part.storage[(i * part.columns)..<((i + 1) * part.columns)])
            }
        }
        return Matrix(rows: rows, columns: width, entries: entries)
    }

    /// Row i multiplied by `factors[i]`: the ⊙ with a column vector (ξ or ζ in Eq. 7).
    public func scalingRows(by factors: [Element]) -> Matrix {
        precondition(factors.count == rows, "scalingRows needs one factor per row: \(factors.count) vs \(rows)")
        return Matrix(rows: rows, columns: columns) { i, j in factors[i] * self[i, j] }
    }
}
