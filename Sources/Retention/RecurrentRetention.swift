import Matrices

/// Retention's recurrent form (paper Eq. 6) over a whole sequence:
///
///     S_n = γ S_{n−1} + K_nᵀ V_n,    Retention(X_n) = Q_n S_n.
///
/// The same outputs as the parallel form (Q Kᵀ ⊙ D) V, one token at a time: O(d_k d_v) work per
/// token and a d_k×d_v state whatever the length, which is what makes decoding cheap. Because
/// γ ≤ 1, S only ever multiplies old terms by numbers ≤ 1, so rounding errors from early tokens
/// shrink rather than grow; at γ = 1 they simply add up.
public enum RecurrentRetention {
    /// Runs the recurrence over every row of Q, K (n×d_k) and V (n×d_v), starting from `state`
    /// (the zero state S_{−1} = 0 when nil), and returns the n×d_v outputs and the state after
    /// the last row (position advanced by n).
    ///
    /// Throws `.shape` when K is not shaped like Q, V does not have n rows, or the given state is
    /// not d_k×d_v. n = 0 returns a 0×d_v output and the state unchanged.
    public static func outputs<E: RealScalar>(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, decay: Decay<E>,
                                              from state: RetentionState<E>? = nil)
        throws(RetentionError) -> (outputs: Matrix<E>, state: RetentionState<E>)
    {
        try RetentionInput.check(q: q, k: k, v: v)
        var current = state ?? RetentionState(keyDimension: q.columns, valueDimension: v.columns)
        try RetentionInput.check(state: current, keyDimension: q.columns, valueDimension: v.columns)
        var out = [E](repeating: 0, count: q.rows * v.columns)
        RetentionState.advance(&current.s, gamma: decay.gamma, q: q.storage, k: k.storage, v: v.storage,
                               rows: 0..<q.rows, into: &out)
        current.position += q.rows
        return (Matrix(rows: q.rows, columns: v.columns, entries: out), current)
    }
}
