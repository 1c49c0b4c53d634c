import Matrices

extension Activation {
    /// The derivative at x, from the same closed forms as the activation:
    ///
    ///     swish′(x) = σ(x) (1 + x (1 − σ(x))),      σ(x) = 1 / (1 + e^{−x})
    ///     gelu′(x)  = Φ(x) + x φ(x) = ½ (1 + erf(x/√2)) + x e^{−x²/2} / √(2π)
    ///
    /// For very negative x, e^{−x} overflows and σ = 0, so swish′ = 0 · (1 + x) = −0, its limit;
    /// e^{−x²/2} underflows to 0 for |x| ≳ 38 and gelu′ tends to Φ(x), 0 or 1, its limits.
    public func derivative<E: RealScalar>(_ x: E) -> E {
        switch self {
        case .swish:
            let sigma = 1 / (1 + E.exp(-x))
            return sigma * (1 + x * (1 - sigma))
        case .gelu:
            let phi = E.exp(-x * x / 2) / E.sqrt(2 * E.pi)
            return (1 + E.erf(x / E.sqrt(2))) / 2 + x * phi
        }
    }

    /// The backward pass of `self(x)` entry by entry: dX = act′(X) ⊙ dY. The activation has no
    /// weights, so there is nothing to accumulate.
    ///
    /// Throws when dY is not shaped like X.
    public func backward<E: RealScalar>(_ x: Matrix<E>, outputGradient dY: Matrix<E>) throws(ShapeError) -> Matrix<E> {
        try ShapeError.require(dY, "dY", rows: x.rows, columns: x.columns, " (the shape of act(X))")
        return x.map { derivative($0) }.hadamard(dY)
    }
}
