import Matrices
import Tracing

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
    /// With a `trace`, records the sequence unrolled: for each token n, in a group "t = n", the
    /// rows Q_n, K_n, V_n, the update S_n and the output o_n; then the outputs stacked. The
    /// kernel then runs one row per call (the same arithmetic, with one copy of S per row);
    /// without a trace it runs all rows in one call and records nothing.
    ///
    /// Throws `.shape` when K is not shaped like Q, V does not have n rows, or the given state is
    /// not d_k×d_v. n = 0 returns a 0×d_v output and the state unchanged.
    public static func outputs<E: RealScalar>(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, decay: Decay<E>,
                                              from state: RetentionState<E>? = nil, trace: Tracer<E>? = nil)
        throws(RetentionError) -> (outputs: Matrix<E>, state: RetentionState<E>)
    {
        try RetentionInput.check(q: q, k: k, v: v)
        var current = state ?? RetentionState(keyDimension: q.columns, valueDimension: v.columns)
        try RetentionInput.check(state: current, keyDimension: q.columns, valueDimension: v.columns)
        var out = [E](repeating: 0, count: q.rows * v.columns)
        if let trace {
            let start = current.position
            let (qID, kID, vID) = (trace.node(for: q, symbol: "Q"), trace.node(for: k, symbol: "K"),
                                   trace.node(for: v, symbol: "V"))
            let gammaID = trace.node(forScalar: decay.gamma, symbol: "γ")
            var previous = state == nil
                ? trace.leaf("S" + Notation.sub(start - 1), "0", role: .state, value: current.s)
                : trace.node(for: current.s, symbol: "S" + Notation.sub(start - 1), role: .state)
            var outputs: [TraceNodeID] = []
            for row in 0..<q.rows {
                let n = start + row
                trace.enterGroup("t = \(n)")
                let step = StepTrace(
                    q: trace.record(.rowSlice, "Q" + Notation.sub(n), inputs: [qID], value: q.row(row)),
                    k: trace.record(.rowSlice, "K" + Notation.sub(n), inputs: [kID], value: k.row(row)),
                    v: trace.record(.rowSlice, "V" + Notation.sub(n), inputs: [vID], value: v.row(row)),
                    previous: previous, gamma: gammaID)
                RetentionState.advance(&current.s, gamma: decay.gamma, q: q.storage, k: k.storage, v: v.storage,
                                       rows: row..<(row + 1), into: &out)
                let output = Matrix(rows: 1, columns: v.columns,
                                    entries: Array(out[(row * v.columns)..<((row + 1) * v.columns)]))
                let recorded = step.record(in: trace, position: n, state: current.s, output: output)
                previous = recorded.state
                outputs.append(recorded.output)
                trace.leaveGroup()
            }
            if q.rows > 0 {
                let last = Notation.sub(start + q.rows - 1)
                trace.record(.concatenation, "Retention(X)", "rows o\(Notation.sub(start)) … o\(last)",
                             role: .output, inputs: outputs, value: Matrix(rows: q.rows, columns: v.columns, entries: out))
            }
        } else {
            RetentionState.advance(&current.s, gamma: decay.gamma, q: q.storage, k: k.storage, v: v.storage,
                                   rows: 0..<q.rows, into: &out)
        }
        current.position += q.rows
        return (Matrix(rows: q.rows, columns: v.columns, entries: out), current)
    }
}
