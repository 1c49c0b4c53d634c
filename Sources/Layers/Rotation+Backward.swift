import Matrices

extension Rotation {
    /// The backward pass of `apply`: dX = dY rotated by −nθ_j, pair by pair.
    ///
    /// Each pair of row n is multiplied by the 2×2 rotation R(φ), φ = (n + offset)θ_j, so the
    /// gradient is multiplied by R(φ)ᵀ = R(−φ): (a, b) ↦ (a c + b s, −a s + b c) with c = cos φ and
    /// s = sin φ taken exactly as the forward pass takes them (in Double, or in float32 for
    /// `.float32`), so that the backward pass is the transpose of the very matrix the forward
    /// pass applied. The rotation has no weights (θ is a fixed buffer).
    ///
    /// Throws when dY does not have d_k columns.
    public func backward<E: RealScalar>(outputGradient dY: Matrix<E>, offset: Int) throws(ShapeError)
        -> Matrix<E>
    {
        guard dY.columns == keyDimension else {
            throw ShapeError(argument: "rotated-rows gradient", expected: "\(keyDimension) columns (d_k)", got: "\(dY.shape)")
        }
        var out = dY
        for n in 0..<dY.rows {
            for j in 0..<angles.count {
                let (c, s) = cosineSine(position: n + offset, pair: j, as: E.self)
                let a = dY[n, 2 * j], b = dY[n, 2 * j + 1]
                out[n, 2 * j] = a * c + b * s
                out[n, 2 * j + 1] = b * c - a * s
            }
        }
        return out
    }

    /// cos and sin of position · θ_j, computed as `apply` computes them in each precision.
    func cosineSine<E: RealScalar>(position: Int, pair j: Int, as _: E.Type) -> (E, E) {
        switch precision {
        case .double:
            let phi = Double(position) * angles[j]
            return (E(Double.cos(phi)), E(Double.sin(phi)))
        case .float32:
            let phi = Float(position) * Float(angles[j])
            return (E(Float.cos(phi)), E(Float.sin(phi)))
        }
    }
}
