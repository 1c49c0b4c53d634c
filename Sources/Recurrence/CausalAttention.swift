import Matrices

/// Attention restricted to the past: output n may only look at steps m ≤ n.
public enum CausalAttention {
    /// The causal mask M: 1 where m ≤ n, else 0.
    public static func mask<E>(_ n: Int) -> Matrix<E> {
        Matrix(rows: n, columns: n) { row, column in column <= row ? 1 : 0 }
    }

    /// Causal linear attention, (Q Kᵀ ⊙ M) V: softmax attention with the softmax removed.
    /// It equals the recurrence with A = I, so it can be computed with a d×d_v state.
    public static func linear<E>(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>) throws(ShapeError) -> Matrix<E> {
        try LinearRecurrence.validate(q: q, k: k, v: v)
        return (q * k.transposed).hadamard(mask(q.rows)) * v
    }

    /// Causal softmax attention, softmax(Q Kᵀ/√d, masked) V, for contrast: each output needs
    /// every earlier key and value, so a decoder must keep all of them (a KV cache that grows with n).
    public static func softmax<E: RealScalar>(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>) throws(ShapeError) -> Matrix<E> {
        try LinearRecurrence.validate(q: q, k: k, v: v)
        return softmaxWeights(q: q, k: k) * v
    }

    /// The weights P = softmax(Q Kᵀ/√d, masked) of `softmax` (n×n, zero above the diagonal, each
    /// row summing to 1): the row's largest score is subtracted before exponentiating. Q and K
    /// were checked by the caller (same rows, same columns).
    static func softmaxWeights<E: RealScalar>(q: Matrix<E>, k: Matrix<E>) -> Matrix<E> {
        let n = q.rows
        let scores = (1 / E.sqrt(E(q.columns))) * (q * k.transposed)
        return Matrix<E>(rows: n, columns: n) { row, column in
            guard column <= row else { return 0 }
            let peak = (0...row).reduce(scores[row, 0]) { Swift.max($0, scores[row, $1]) }
            let total = (0...row).reduce(E.zero) { $0 + E.exp(scores[row, $1] - peak) }
            return E.exp(scores[row, column] - peak) / total
        }
    }
}
