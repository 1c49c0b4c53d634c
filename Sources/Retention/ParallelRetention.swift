import Matrices
import Tracing

/// Retention's parallel form (paper Eq. 5), for Q, K and V already rotated (Q_n e^{inθ} and its
/// conjugate for K live in the `Diagonalisation` module):
///
///     Retention(X) = (Q Kᵀ ⊙ D) V,    D_nm = γ^{n−m} if n ≥ m else 0.
///
/// Row n of the result is o_n = Σ_{m≤n} γ^{n−m} (Q_n K_mᵀ) V_m: chapter 02's double sum written
/// as two matrix products, with the causal mask and the decay folded into D.
///
/// Cost: O(n² d) time and O(n²) memory for the n×n score matrix (see `RetentionCost.parallel`).
/// It is the reference the recurrent and chunkwise forms are checked against: all tokens at
/// once, every term visible, nothing carried between steps.
public enum ParallelRetention {
    /// The retention scores Q Kᵀ ⊙ D (n×n): the weight of value row m in output row n,
    /// zero above the diagonal.
    ///
    /// Throws `.shape` when K is not n×d_k like Q.
    public static func scores<E: RealScalar>(q: Matrix<E>, k: Matrix<E>, decay: Decay<E>) throws(RetentionError)
        -> Matrix<E>
    {
        try RetentionInput.check(q: q, k: k)
        return Steps(q: q, k: k, decay: decay).scores
    }

    /// The outputs (Q Kᵀ ⊙ D) V (n×d_v).
    ///
    /// With a `trace`, records Kᵀ, Q Kᵀ, D (from γ), Q Kᵀ ⊙ D and the product with V, linked to
    /// the nodes that produced Q, K, V and γ (see `Tracer`); without one, records nothing.
    ///
    /// Throws `.shape` when K is not shaped like Q or V does not have n rows. n = 0 gives a
    /// 0×d_v matrix.
    public static func outputs<E: RealScalar>(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, decay: Decay<E>,
                                              trace: Tracer<E>? = nil)
        throws(RetentionError) -> Matrix<E>
    {
        try RetentionInput.check(q: q, k: k, v: v)
        let steps = Steps(q: q, k: k, decay: decay)
        // The product skips zero entries of its left factor, so the masked upper triangle of
        // the scores costs nothing here (counted that way in `RetentionCost`).
        let out = steps.scores * v
        if let trace {
            let (qID, kID, vID) = (trace.node(for: q, symbol: "Q"), trace.node(for: k, symbol: "K"),
                                   trace.node(for: v, symbol: "V"))
            let gammaID = trace.node(forScalar: decay.gamma, symbol: "γ")
            let kT = trace.record(.transpose, "Kᵀ", inputs: [kID], value: steps.kT)
            let qkT = trace.record(.scores, "Q Kᵀ", inputs: [qID, kT], value: steps.qkT)
            let mask = trace.record(.decayMask, "D", "γⁿ⁻ᵐ (n ≥ m)", role: .constant, inputs: [gammaID],
                                    value: steps.mask)
            let scores = trace.record(.hadamard, "Q Kᵀ ⊙ D", inputs: [qkT, mask], value: steps.scores)
            trace.record(.product, "Retention(X)", "(Q Kᵀ ⊙ D) V", role: .output, inputs: [scores, vID], value: out)
        }
        return out
    }

    /// The steps of Q Kᵀ ⊙ D, kept apart so that a trace can record each.
    private struct Steps<E: RealScalar> {
        let kT: Matrix<E>
        let qkT: Matrix<E>
        let mask: Matrix<E>
        let scores: Matrix<E>

        init(q: Matrix<E>, k: Matrix<E>, decay: Decay<E>) {
            kT = k.transposed
            qkT = q * kT
            mask = decay.mask(q.rows)
            scores = qkT.hadamard(mask)
        }
    }
}
