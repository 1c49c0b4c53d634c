import Matrices

extension ParallelRetention {
    /// The backward pass of O = (Q Kᵀ ⊙ D) V: given dO = ∂L/∂O (n×d_v), the gradients of L with
    /// respect to Q, K, V and the starting state.
    ///
    /// With A = Q Kᵀ ⊙ D (the scores), O = A V is a matrix product and A an entry-wise product
    /// with the constant D, so the chain rule gives four products:
    ///
    ///     dV = Aᵀ dO,    dA = (dO Vᵀ) ⊙ D,    dQ = dA K,    dK = dAᵀ Q.
    ///
    /// dA is masked by the same D: a score above the diagonal never reached an output, and a
    /// score's gradient decays as the score did. A is recomputed rather than kept from the
    /// forward pass; the memory is O(n²), as in the forward pass: D, Q Kᵀ, A, dO Vᵀ, dA and
    /// the transposes of A and dA, n×n each.
    ///
    /// The parallel form starts from the zero state, but the gradient for that start is still
    /// defined, and cheap: a state S_{−1} carried in would add Q_m γ^{m+1} S_{−1} to output row m,
    /// so ∂L/∂S_{−1} = Σ_m γ^{m+1} Q_mᵀ dO_m = (Q ⊙ ξ)ᵀ dO with ξ_m = γ^{m+1}. It is returned so
    /// that all three forms return the same gradients, and so that a parallel segment can pass
    /// it back to the segment before it.
    ///
    /// Throws `.shape` when K is not shaped like Q, V does not have n rows, or dO is not n×d_v.
    /// n = 0 gives empty dQ, dK, dV and a zero dState.
    public static func backward<E: RealScalar>(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, decay: Decay<E>,
                                               outputGradient dO: Matrix<E>)
        throws(RetentionError) -> RetentionGradients<E>
    {
        try RetentionInput.check(q: q, k: k, v: v, state: nil, outputGradient: dO, finalStateGradient: nil)
        let mask = decay.mask(q.rows)
        let scores = (q * k.transposed).hadamard(mask)
        let dScores = (dO * v.transposed).hadamard(mask)
        // Aᵀ and dAᵀ are upper triangular; the product skips their zero entries, so the masked
        // half costs nothing, as in the forward pass.
        let dV = scores.transposed * dO
        let dQ = dScores * k
        let dK = dScores.transposed * q
        // ξ_m = γ^{m+1}, each a power of γ ≤ 1 taken directly: at worst it underflows to 0,
        // which is the true value rounded.
        let xi = Array(decay.powers(q.rows + 1).dropFirst())
        let dState = q.scalingRows(by: xi).transposed * dO
        return RetentionGradients(dQ: dQ, dK: dK, dV: dV, dState: dState)
    }
}
