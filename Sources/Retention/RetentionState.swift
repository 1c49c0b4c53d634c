import Matrices
import Tracing

/// The recurrent state of one retention head (paper Eq. 6): everything the past contributes to
/// future outputs, in a d_k×d_v matrix whose size does not depend on how many tokens it has seen.
///
///     S_n = γ S_{n−1} + K_nᵀ V_n,    o_n = Q_n S_n,    S_{−1} = 0.
///
/// Unrolled, S_n = Σ_{m≤n} γ^{n−m} K_mᵀ V_m, so Q_n S_n is exactly row n of the parallel form
/// (Q Kᵀ ⊙ D) V. A plain value: hold it, copy it, hand it from the chunkwise form (whose chunk
/// state R_i is this S at the chunk's last row) to the recurrent form and keep decoding.
public struct RetentionState<E: RealScalar>: Equatable, Sendable {
    /// S (d_k×d_v): Σ_{m≤n} γ^{n−m} K_mᵀ V_m over the tokens consumed so far.
    public var s: Matrix<E>
    /// How many tokens S has consumed: the position n of the next token, which the caller
    /// needs to rotate that token's Q and K by e^{inθ}.
    public var position: Int

    /// The zero state S_{−1} = 0 (d_k×d_v) at position 0. Dimensions must be ≥ 0.
    public init(keyDimension: Int, valueDimension: Int) {
        precondition(keyDimension >= 0 && valueDimension >= 0,
                     "RetentionState needs d_k, d_v ≥ 0, got \(keyDimension)×\(valueDimension)")
        s = Matrix(rows: keyDimension, columns: valueDimension)
        position = 0
    }

    /// A state from a given S and position (e.g. one saved earlier). Its shape is checked when
    /// it is used, against the Q, K and V it meets.
    public init(s: Matrix<E>, position: Int) {
        self.s = s
        self.position = position
    }

    /// d_k, the number of rows of S.
    public var keyDimension: Int { s.rows }
    /// d_v, the number of columns of S.
    public var valueDimension: Int { s.columns }

    /// One token: S ← γ S + K_nᵀ V_n, then returns o_n = Q_n S (1×d_v) and advances `position`.
    ///
    /// With a `trace`, records the update S_n and the output o_n, linked to the nodes that
    /// produced q, k, v, γ and the state it started from (see `Tracer`); without one, records
    /// nothing.
    ///
    /// q and k must be 1×d_k (the same shape), v 1×d_v, and the state d_k×d_v; otherwise this
    /// throws `.shape` naming the offending argument and leaves the state untouched.
    public mutating func step(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, decay: Decay<E>,
                              trace: Tracer<E>? = nil) throws(RetentionError) -> Matrix<E>
    {
        // Named in lower case, q, k and v, to tell one token's rows from the sequences Q, K, V.
        guard q.rows == 1 else {
            throw .shape(ShapeError(argument: "q", expected: "1 row (one token, 1×d_k)", got: "\(q.shape)"))
        }
        guard k.shape == q.shape else {
            throw .shape(ShapeError(argument: "k", expected: "\(q.shape) (the shape of q, 1×d_k)", got: "\(k.shape)"))
        }
        guard v.rows == 1 else {
            throw .shape(ShapeError(argument: "v", expected: "1 row (one token, 1×d_v)", got: "\(v.shape)"))
        }
        try RetentionInput.check(state: self, keyDimension: q.columns, valueDimension: v.columns)
        let n = position
        // Looked up before the update, while S still holds S_{n−1}.
        let traced = trace.map { trace in
            StepTrace(q: trace.node(for: q, symbol: "Q" + Notation.sub(n)),
                      k: trace.node(for: k, symbol: "K" + Notation.sub(n)),
                      v: trace.node(for: v, symbol: "V" + Notation.sub(n)),
                      previous: trace.node(for: s, symbol: "S" + Notation.sub(n - 1), role: .state),
                      gamma: trace.node(forScalar: decay.gamma, symbol: "γ"))
        }
        var out = [E](repeating: 0, count: v.columns)
        Self.advance(&s, gamma: decay.gamma, q: q.storage, k: k.storage, v: v.storage, rows: 0..<1, into: &out)
        position += 1
        let output = Matrix(rows: 1, columns: v.columns, entries: out)
        if let trace, let traced { traced.record(in: trace, position: n, state: s, output: output) }
        return output
    }

    /// The recurrence over `rows` of row-major Q, K (d_k = S.rows columns) and V (d_v = S.columns
    /// columns), writing o_n into row n of `out` (n×d_v). Shapes are the caller's to check.
    ///
    /// Works on raw storage because this loop is the whole cost of the recurrent form (3 d_k d_v
    /// multiply–adds per token) and must not allocate a matrix per token: a 65,536-token
    /// sequence runs in a debug build in the tests. Row i of S is updated and then used for
    /// o_n at once, while it is hot:
    ///
    ///     S_ij ← γ S_ij + K_ni V_nj,    o_nj += Q_ni S_ij.
    static func advance(_ state: inout Matrix<E>, gamma: E, q: [E], k: [E], v: [E], rows: Range<Int>,
                        into out: inout [E])
    {
        let dk = state.rows, dv = state.columns
        guard dk > 0, dv > 0, !rows.isEmpty else {
            // With d_k = 0 or d_v = 0 there is nothing to carry, and o_n is empty or zero.
            return
        }
        // S's storage is read-only outside Matrices, so S is copied out and back: one d_k×d_v
        // copy per call (per sequence in the recurrent form), never one per token.
        var entries = state.storage
        entries.withUnsafeMutableBufferPointer { s in
            q.withUnsafeBufferPointer { q in
                k.withUnsafeBufferPointer { k in
                    v.withUnsafeBufferPointer { v in
                        out.withUnsafeMutableBufferPointer { o in
                            for n in rows {
                                let qRow = n * dk, vRow = n * dv
                                for i in 0..<dk {
                                    let ki = k[qRow + i], qi = q[qRow + i], sRow = i * dv
                                    for j in 0..<dv {
                                        let sij = gamma * s[sRow + j] + ki * v[vRow + j]
                                        s[sRow + j] = sij
                                        o[vRow + j] += qi * sij
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        state = Matrix(rows: dk, columns: dv, entries: entries)
    }
}

/// The nodes one recurrent step reads, and how it records what it computes. Shared by
/// `RetentionState.step` and `RecurrentRetention.outputs`, so both draw a step alike.
struct StepTrace {
    let q: TraceNodeID
    let k: TraceNodeID
    let v: TraceNodeID
    let previous: TraceNodeID
    let gamma: TraceNodeID

    /// Records S_n = γ S_{n−1} + K_nᵀ V_n (one node: the kernel fuses the decay, the outer
    /// product and the sum) and o_n = Q_n S_n, and returns their ids.
    @discardableResult
    func record<E>(in trace: Tracer<E>, position n: Int, state: Matrix<E>, output: Matrix<E>)
        -> (state: TraceNodeID, output: TraceNodeID)
    {
        let (t, previous) = (Notation.sub(n), Notation.sub(n - 1))
        let stateID = trace.record(.stateUpdate, "S" + t, "γ S\(previous) + K\(t)ᵀ V\(t)", role: .state,
                                   inputs: [self.previous, k, v, gamma], value: state)
        let outputID = trace.record(.product, "o" + t, "Q\(t) S\(t)", role: .output, inputs: [q, stateID], value: output)
        return (stateID, outputID)
    }
}
