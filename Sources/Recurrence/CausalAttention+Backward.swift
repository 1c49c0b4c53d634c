import Matrices

extension CausalAttention {
    /// The backward pass of `softmax(q:k:v:)`: given dO = ∂L/∂O (n×d_v), the gradients of Q, K
    /// and V. With S = Q Kᵀ/√d, P = softmax(S) row by row over m ≤ n, and O = P V:
    ///
    ///     dV = Pᵀ dO                                   (each value collects the weights it got)
    ///     dP = dO Vᵀ
    ///     dS_nm = P_nm (dP_nm − Σ_m′ P_nm′ dP_nm′)      (the softmax's Jacobian, row by row)
    ///     dQ = dS K/√d,  dK = dSᵀ Q/√d
    ///
    /// P is zero above the diagonal, so dS is too: a masked score has no gradient. P is
    /// recomputed exactly as the forward pass computes it.
    ///
    /// Throws when Q, K, V do not fit together (as the forward pass) or dO is not n×d_v.
    public static func softmaxBackward<E: RealScalar>(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, outputGradient dO: Matrix<E>)
        throws(ShapeError) -> (dQ: Matrix<E>, dK: Matrix<E>, dV: Matrix<E>)
    {
        try LinearRecurrence.validate(q: q, k: k, v: v)
        try ShapeError.require(dO, "dO", rows: v.rows, columns: v.columns, " (the shape of the output, n×d_v)")
        let n = q.rows
        let p = softmaxWeights(q: q, k: k)
        let dP = dO * v.transposed
        var dS = Matrix<E>(rows: n, columns: n)
        for row in 0..<n {
            let inner = (0...row).reduce(E.zero) { $0 + p[row, $1] * dP[row, $1] }
            for column in 0...row { dS[row, column] = p[row, column] * (dP[row, column] - inner) }
        }
        let scale = 1 / E.sqrt(E(q.columns))
        return (scale * (dS * k), scale * (dS.transposed * q), p.transposed * dO)
    }
}

extension CausalAttention {
    /// The backward pass of `linear(q:k:v:)`: given dO = ∂L/∂O (n×d_v), the gradients of Q, K
    /// and V. With A = Q Kᵀ ⊙ M and O = A V:
    ///
    ///     dV = Aᵀ dO,   dA = (dO Vᵀ) ⊙ M,   dQ = dA K,   dK = dAᵀ Q
    ///
    /// — retention's parallel backward (chapter 10) with every γ = 1. A masked score has no gradient.
    ///
    /// Throws when Q, K, V do not fit together (as the forward pass) or dO is not n×d_v.
    public static func linearBackward<E>(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, outputGradient dO: Matrix<E>)
        throws(ShapeError) -> (dQ: Matrix<E>, dK: Matrix<E>, dV: Matrix<E>)
    {
        try LinearRecurrence.validate(q: q, k: k, v: v)
        try ShapeError.require(dO, "dO", rows: v.rows, columns: v.columns, " (the shape of the output, n×d_v)")
        let m = mask(q.rows) as Matrix<E>
        let a = (q * k.transposed).hadamard(m)
        let dA = (dO * v.transposed).hadamard(m)
        return (dA * k, dA.transposed * q, a.transposed * dO)
    }
}
