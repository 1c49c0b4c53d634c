import RealModule
import ComplexModule

extension Matrix where Element == Complex<Double> {
    /// The inverse by Gauss–Jordan elimination with partial pivoting, or `nil` when a pivot
    /// is below n·ε times the largest entry (the matrix is singular to working precision).
    public var inverse: Matrix? {
        precondition(rows == columns, "only a square matrix has an inverse, got \(shape)")
        let n = rows
        let scale = storage.reduce(0.0) { Swift.max($0, $1.length) }
        let tiny = Swift.max(Double(n) * Double.ulpOfOne * scale, Double.leastNormalMagnitude)
        var a = self
        var inv = Matrix.identity(n)
        for col in 0..<n {
            var pivot = col
            for r in (col + 1)..<Swift.max(n, col + 1) where a[r, col].length > a[pivot, col].length { pivot = r }
            guard a[pivot, col].length > tiny else { return nil }
            if pivot != col {
                for j in 0..<n {
                    a.swapAt((col, j), (pivot, j))
                    inv.swapAt((col, j), (pivot, j))
                }
            }
            let p = a[col, col].reciprocal ?? .zero
            for j in 0..<n {
                a[col, j] = a[col, j] * p
                inv[col, j] = inv[col, j] * p
            }
            for r in 0..<n where r != col {
                let factor = a[r, col]
                if factor == .zero { continue }
                for j in 0..<n {
                    a[r, j] = a[r, j] - factor * a[col, j]
                    inv[r, j] = inv[r, j] - factor * inv[col, j]
                }
            }
        }
        return inv
    }

    private mutating func swapAt(_ x: (Int, Int), _ y: (Int, Int)) {
        let t = self[x.0, x.1]
        self[x.0, x.1] = self[y.0, y.1]
        self[y.0, y.1] = t
    }

    /// The conjugate transpose A†.
    public var adjoint: Matrix { transposed.map { $0.conjugate } }
}

extension Matrix where Element: RealScalar {
    /// This real matrix as a complex one.
    public var complex: Matrix<Complex<Element>> { map { Complex($0) } }
}

extension Matrix where Element == Complex<Double> {
    /// The real parts.
    public var real: Matrix<Double> { map(\.real) }
}
