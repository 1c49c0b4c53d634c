import Matrices

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
        return (q * k.transposed).hadamard(decay.mask(q.rows))
    }

    /// The outputs (Q Kᵀ ⊙ D) V (n×d_v).
    ///
    /// Throws `.shape` when K is not shaped like Q or V does not have n rows. n = 0 gives a
    /// 0×d_v matrix.
    public static func outputs<E: RealScalar>(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, decay: Decay<E>)
        throws(RetentionError) -> Matrix<E>
    {
        try RetentionInput.check(q: q, k: k, v: v)
        // The product skips zero entries of its left factor, so the masked upper triangle of
        // the scores costs nothing here (counted that way in `RetentionCost`).
        return try scores(q: q, k: k, decay: decay) * v
    }
}
