import Matrices
import Tracing

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
    /// With a `trace`, records dO, the scores A (from Q Kᵀ and D) and Aᵀ, dV = Aᵀ dO, dO Vᵀ,
    /// dA = dO Vᵀ ⊙ D, dQ = dA K, dAᵀ, dK = dAᵀ Q and dS₋₁ = (Q ⊙ ξ)ᵀ dO, linked to the nodes that
    /// produced Q, K, V, dO and γ (see `Tracer`); without one, records nothing, and the numbers
    /// are the same bit for bit either way.
    ///
    /// Throws `.shape` when K is not shaped like Q, V does not have n rows, or dO is not n×d_v.
    /// n = 0 gives empty dQ, dK, dV and a zero dState.
    public static func backward<E: RealScalar>(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, decay: Decay<E>,
                                               outputGradient dO: Matrix<E>, trace: Tracer<E>? = nil)
        throws(RetentionError) -> RetentionGradients<E>
    {
        try RetentionInput.check(q: q, k: k, v: v, state: nil, outputGradient: dO, finalStateGradient: nil)
        let mask = decay.mask(q.rows)
        let qkT = q * k.transposed
        let scores = qkT.hadamard(mask)
        let dOvT = dO * v.transposed
        let dScores = dOvT.hadamard(mask)
        // Aᵀ and dAᵀ are upper triangular; the product skips their zero entries, so the masked
        // half costs nothing, as in the forward pass.
        let scoresT = scores.transposed, dScoresT = dScores.transposed
        let dV = scoresT * dO
        let dQ = dScores * k
        let dK = dScoresT * q
        // ξ_m = γ^{m+1}, each a power of γ ≤ 1 taken directly: at worst it underflows to 0,
        // which is the true value rounded.
        let xi = Array(decay.powers(q.rows + 1).dropFirst())
        let qXi = q.scalingRows(by: xi)
        let dState = qXi.transposed * dO
        if let trace {
            let (qID, kID, vID) = (trace.node(for: q, symbol: "Q"), trace.node(for: k, symbol: "K"),
                                   trace.node(for: v, symbol: "V"))
            let dOID = trace.node(for: dO, symbol: "dO")
            let gammaID = trace.node(forScalar: decay.gamma, symbol: "γ")
            let qkTID = trace.record(.scores, "Q Kᵀ", inputs: [qID, kID], value: qkT)
            let maskID = trace.record(.decayMask, "D", "γⁿ⁻ᵐ (n ≥ m)", role: .constant, inputs: [gammaID], value: mask)
            let scoresID = trace.record(.hadamard, "A", "Q Kᵀ ⊙ D", inputs: [qkTID, maskID], value: scores)
            let scoresTID = trace.record(.transpose, "Aᵀ", inputs: [scoresID], value: scoresT)
            trace.record(.product, "dV", "Aᵀ dO", role: .output, inputs: [scoresTID, dOID], value: dV)
            let dOvTID = trace.record(.product, "dO Vᵀ", inputs: [dOID, vID], value: dOvT)
            let dScoresID = trace.record(.hadamard, "dA", "dO Vᵀ ⊙ D", inputs: [dOvTID, maskID], value: dScores)
            trace.record(.product, "dQ", "dA K", role: .output, inputs: [dScoresID, kID], value: dQ)
            let dScoresTID = trace.record(.transpose, "dAᵀ", inputs: [dScoresID], value: dScoresT)
            trace.record(.product, "dK", "dAᵀ Q", role: .output, inputs: [dScoresTID, qID], value: dK)
            let xiID = trace.record(.decayFactors, "ξ", "γᵐ⁺¹", role: .constant, inputs: [gammaID],
                                    value: Matrix(rows: xi.count, columns: 1, entries: xi))
            let qXiID = trace.record(.hadamard, "Q ⊙ ξ", inputs: [qID, xiID], value: qXi)
            trace.record(.product, "dS₋₁", "(Q ⊙ ξ)ᵀ dO", role: .output, inputs: [qXiID, dOID], value: dState)
        }
        return RetentionGradients(dQ: dQ, dK: dK, dV: dV, dState: dState)
    }
}
