/// The backward pass of `applyingLinear`, beside it: Y = X Wᵀ for X (n×in) and W stored [out, in].
///
/// Entry (i, o) of Y is Σ_p X_ip W_op, so with dY = ∂L/∂Y (n×out):
///
///     ∂L/∂X_ip = Σ_o dY_io W_op        dX = dY W       (n×in)
///     ∂L/∂W_op = Σ_i dY_io X_ip        dW = dYᵀ X      (out×in, W's own orientation)
///
/// dW is *added* to what `weightGradient` holds, not stored: a weight used twice (by two calls,
/// or two rows of a batch treated apart) receives the sum of both uses, which is its gradient.
/// dX is returned; callers add it where their input came from.
extension Matrix where Element: RealScalar {
    /// dX = dY W, and dW += dYᵀ X, for the map Y = `self` Wᵀ.
    ///
    /// Throws when W is not [out, in] for this X (in = X's columns), dY is not n×out, or the
    /// weight gradient is not shaped like W.
    public func linearBackward(weight: Matrix, outputGradient dY: Matrix, weightGradient dW: inout Matrix)
        throws(ShapeError) -> Matrix
    {
        let (n, k, m) = (rows, columns, weight.rows)
        try ShapeError.require(weight, "W", columns: k, " (W is [out, in], in = X's columns)")
        try ShapeError.require(dY, "dY", rows: n, columns: m, " (the shape of X Wᵀ)")
        try ShapeError.require(dW, "dW", rows: m, columns: k, " (the shape of W)")
        var dX = [Element](repeating: .zero, count: n * k), dWUse = [Element](repeating: .zero, count: m * k)
        storage.withUnsafeBufferPointer { x in
            weight.storage.withUnsafeBufferPointer { w in
                dY.storage.withUnsafeBufferPointer { dy in
                    dX.withUnsafeMutableBufferPointer { dx in
                        dWUse.withUnsafeMutableBufferPointer { dw in
                            // One pass over (i, o): row o of W and of dW are contiguous, as are
                            // row i of X and of dX, so both products walk memory in order.
                            for i in 0..<n {
                                for o in 0..<m {
                                    let g = dy[i * m + o]
                                    if g == .zero { continue }
                                    for p in 0..<k {
                                        dx[i * k + p] += g * w[o * k + p]
                                        dw[o * k + p] += g * x[i * k + p]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // This use's dW, then added: the sum over uses, whatever order the uses come in.
        dW += Matrix(rows: m, columns: k, entries: dWUse)
        return Matrix(rows: n, columns: k, entries: dX)
    }
}
