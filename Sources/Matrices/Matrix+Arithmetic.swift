import ComplexModule
import RealModule
/// Sums, differences, scaling, the entry-wise (Hadamard) product ⊙ and the matrix product.

extension Matrix {
    public static func + (lhs: Matrix, rhs: Matrix) -> Matrix {
        lhs.zipEntries(rhs, "+", +)
    }

    public static func - (lhs: Matrix, rhs: Matrix) -> Matrix {
        lhs.zipEntries(rhs, "-", -)
    }

    public static func += (lhs: inout Matrix, rhs: Matrix) {
        lhs = lhs + rhs
    }

    /// Every entry times a scalar.
    public static func * (scale: Element, matrix: Matrix) -> Matrix {
        matrix.map { scale * $0 }
    }

    /// The entry-wise product A ⊙ B.
    public func hadamard(_ other: Matrix) -> Matrix {
        zipEntries(other, "⊙", *)
    }

    /// The matrix product A B (rows×k times k×columns).
    ///
    /// A plain triple loop in i-k-j order, so the innermost loop walks both B and the result
    /// row-wise. The reference, not the fast kernel.
    public static func * (lhs: Matrix, rhs: Matrix) -> Matrix {
        precondition(lhs.columns == rhs.rows,
                     "matrix product needs inner sizes to agree: \(lhs.rows)×\(lhs.columns) · \(rhs.rows)×\(rhs.columns)")
        let n = lhs.rows, k = lhs.columns, m = rhs.columns
        var out = [Element](repeating: .zero, count: n * m)
        lhs.storage.withUnsafeBufferPointer { a in
            rhs.storage.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { c in
                    for i in 0..<n {
                        for p in 0..<k {
                            let aip = a[i * k + p]
                            if aip == .zero { continue }
                            for j in 0..<m { c[i * m + j] += aip * b[p * m + j] }
                        }
                    }
                }
            }
        }
        return Matrix(rows: n, columns: m, entries: out)
    }

    /// The sum of all entries.
    public var sum: Element { storage.reduce(.zero, +) }

    private func zipEntries(_ other: Matrix, _ symbol: String, _ op: (Element, Element) -> Element) -> Matrix {
        precondition(shape == other.shape, "\(symbol) needs equal shapes: \(shape) vs \(other.shape)")
        return Matrix(rows: rows, columns: columns, entries: zip(storage, other.storage).map(op))
    }
}
