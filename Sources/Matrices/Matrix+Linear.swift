/// Linear maps stored the way checkpoints store them.
///
/// A PyTorch `nn.Linear(in, out)` keeps its weight as an [out, in] matrix W and computes
/// y = x Wᵀ for a row x. Every weight in this package is kept in that [out, in] orientation, so a
/// checkpoint's tensor can be used as it is; `applyingLinear` multiplies by the transpose without
/// forming it.
extension Matrix where Element: RealScalar {
    /// X Wᵀ for X (n×in) and a weight W stored [out, in]: entry (i, o) = Σ_k X_ik W_ok.
    ///
    /// Each entry is a dot product of two contiguous rows, summed in order k = 0, 1, …; the
    /// reference loop, not a fast kernel. Shapes are the caller's to check (`in` must agree).
    public func applyingLinear(_ weight: Matrix) -> Matrix {
        precondition(columns == weight.columns,
                     "x Wᵀ needs x's width to equal W's in-size: \(shape) · (\(weight.shape))ᵀ")
        let n = rows, k = columns, m = weight.rows
        var out = [Element](repeating: .zero, count: n * m)
        storage.withUnsafeBufferPointer { x in
            weight.storage.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { y in
                    for i in 0..<n {
                        for o in 0..<m {
                            var sum = Element.zero
                            for p in 0..<k { sum += x[i * k + p] * w[o * k + p] }
                            y[i * m + o] = sum
                        }
                    }
                }
            }
        }
        return Matrix(rows: n, columns: m, entries: out)
    }
}

extension Matrix where Element: RealScalar {
    /// X Wᵀ + b for X (n×in), W stored [out, in] and a bias b of `out` entries added to every row
    /// (PyTorch's `nn.Linear` with `bias=True`); X Wᵀ when `bias` is nil.
    public func applyingLinear(_ weight: Matrix, bias: [Element]?) -> Matrix {
        let product = applyingLinear(weight)
        guard let bias else { return product }
        precondition(bias.count == weight.rows, "x Wᵀ + b needs one bias per output: \(bias.count) for \(weight.rows)")
        return Matrix(rows: product.rows, columns: product.columns) { i, o in product[i, o] + bias[o] }
    }
}
