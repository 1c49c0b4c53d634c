import Matrices

/// The linear recurrence the paper starts from (Eq. 1): a state s that remembers.
///
///     s_n = A s_{n−1} + K_nᵀ v_n,    o_n = Q_n s_n
///
/// Q, K are n×d (one row per time step), V is n×d_v, A is d×d, and the state s_n is d×d_v:
/// with a row of values instead of the paper's scalar v_n, each value column runs its own copy.
/// Generic over the field, so chapter 02 can run it with a complex, diagonalised A.
public enum LinearRecurrence {
    /// Runs the recurrence step by step from s_0 = 0 and returns the outputs o_1 … o_n as rows.
    public static func outputs<E>(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, transition a: Matrix<E>)
        throws(ShapeError) -> Matrix<E>
    {
        try validate(q: q, k: k, v: v, transition: a)
        var state = Matrix<E>(rows: q.columns, columns: v.columns)
        var out = Matrix<E>(rows: q.rows, columns: v.columns)
        for n in 0..<q.rows {
            state = a * state + k.row(n).transposed * v.row(n)
            out.setRows(from: n, to: q.row(n) * state)
        }
        return out
    }

    /// The same outputs from the unrolled sum, o_n = Σ_{m≤n} Q_n A^{n−m} K_mᵀ v_m: no state,
    /// every output looks back at every earlier step.
    public static func unrolledOutputs<E>(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, transition a: Matrix<E>)
        throws(ShapeError) -> Matrix<E>
    {
        try unrolledOutputs(q: q, k: k, v: v, transition: a, lagOffset: 0)
    }

    /// ``unrolledOutputs(q:k:v:transition:)`` with a step broken on purpose, for the chapters:
    /// `lagOffset` adds to the exponent n − m, and chapter 01 passes 1 to show that its check
    /// catches an off-by-one in the derivation.
    @_spi(Chapters)
    public static func unrolledOutputs<E>(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, transition a: Matrix<E>,
                                          lagOffset: Int) throws(ShapeError) -> Matrix<E>
    {
        try validate(q: q, k: k, v: v, transition: a)
        let n = q.rows
        // A^0, A^1, …, A^{n−1+lagOffset}
        var powers = [Matrix<E>.identity(a.rows)]
        while powers.count < n + max(lagOffset, 0) { powers.append(powers.last! * a) }
        var out = Matrix<E>(rows: n, columns: v.columns)
        for t in 0..<n {
            var o = Matrix<E>(rows: 1, columns: v.columns)
            for m in 0...t {
                o += q.row(t) * powers[t - m + lagOffset] * k.row(m).transposed * v.row(m)
            }
            out.setRows(from: t, to: o)
        }
        return out
    }

    static func validate<E>(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, transition a: Matrix<E>) throws(ShapeError) {
        try validate(q: q, k: k, v: v)
        try ShapeError.require(a, "A", rows: q.columns, columns: q.columns, " (A is d×d with d = \(q.columns), the width of Q)")
    }

    /// Q and K n×d alike, V with one row per time step.
    static func validate<E>(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>) throws(ShapeError) {
        try ShapeError.require(k, "K", rows: q.rows, columns: q.columns, " (K must match Q, which is \(q.shape))")
        try ShapeError.require(v, "V", rows: q.rows, " (one value row per time step; Q has \(q.rows))")
    }
}
