import Matrices
import Tracing

/// Retention's chunkwise recurrent form (paper Eq. 7): parallel inside chunks of B tokens,
/// recurrent between them.
///
/// Chunk i holds rows [iB, min((i+1)B, n)) of Q, K and V, written Q_[i], K_[i], V_[i], with
/// actual length b (b = B except perhaps for the last chunk, which is simply shorter: no
/// padding). With j the row inside the chunk (0-based):
///
///     Retention(X_[i]) = (Q_[i] K_[i]ᵀ ⊙ D_b) V_[i]  +  (Q_[i] R_{i−1}) ⊙ ξ,    ξ_j = γ^{j+1}
///     R_i = K_[i]ᵀ (V_[i] ⊙ ζ) + γ^b R_{i−1},                                  ζ_j = γ^{b−j−1}
///
/// (⊙ with ξ or ζ scales row j.) Why it equals the parallel form: output row t = iB + j sums
/// γ^{t−m} (Q_t K_mᵀ) V_m over m ≤ t. The terms with m inside the chunk are the inner part, a
/// b×b parallel retention. The terms with m < iB factor as γ^{j+1} · Q_t Σ_{m<iB} γ^{iB−1−m}
/// K_mᵀ V_m, and that sum is R_{i−1}: the recurrent state S at the previous chunk's last row.
/// Adding a chunk ages the old state by γ^b and adds its own terms, each aged by the distance
/// b − j − 1 from its row to the chunk's last row: that is ζ, which the paper's Eq. 7 needs
/// and readers often miss.
///
/// Cost: O(n B d + n d_k d_v) time and O(B² + B d + d_k d_v) working memory, whatever n
/// (`RetentionCost.chunkwise`).
public enum ChunkwiseRetention {
    /// Runs Eq. 7 over Q, K (n×d_k) and V (n×d_v) in chunks of `chunkSize` rows (any B ≥ 1,
    /// B > n included), starting from `state` (R_{−1} = S, zero when nil), and returns the
    /// n×d_v outputs and the final state: R of the last chunk, which is the recurrent state S
    /// after row n − 1, with position advanced by n, so `RecurrentRetention` can carry on.
    ///
    /// With a `trace`, records each chunk i in a group "chunk i · rows a–b": its rows Q[i], K[i],
    /// V[i], the scores Q[i] K[i]ᵀ, the inner and cross-chunk parts, their sum O[i] and the new
    /// state R_i (which the next chunk reads: the hand-off); the decay factors D, ξ, ζ and γᵇ
    /// each time a chunk length needs them; and the outputs stacked. Without one, records nothing.
    ///
    /// Throws `.chunkSize` for B < 1, and `.shape` when K is not shaped like Q, V does not have
    /// n rows, or the given state is not d_k×d_v. n = 0 returns a 0×d_v output and the state.
    public static func outputs<E: RealScalar>(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, decay: Decay<E>,
                                              chunkSize: Int, from state: RetentionState<E>? = nil,
                                              trace: Tracer<E>? = nil)
        throws(RetentionError) -> (outputs: Matrix<E>, state: RetentionState<E>)
    {
        try outputs(q: q, k: k, v: v, decay: decay, chunkSize: chunkSize, from: state, zetaOffset: 0, trace: trace)
    }

    /// ``outputs(q:k:v:decay:chunkSize:from:trace:)`` with a step broken on purpose, for the
    /// chapters: `zetaOffset` is added to every exponent of ζ (ζ_j = γ^{b−j−1+zetaOffset}). With
    /// zetaOffset ≠ 0 the outputs of every chunk after the first, and the returned state, are
    /// wrong (when γ < 1; at γ = 1 every power is 1 and the offset is invisible), which is what
    /// chapter 05's `--break-step zeta` shows its checks catching.
    @_spi(Chapters)
    public static func outputs<E: RealScalar>(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, decay: Decay<E>,
                                              chunkSize: Int, from state: RetentionState<E>? = nil,
                                              zetaOffset: Int, trace: Tracer<E>? = nil)
        throws(RetentionError) -> (outputs: Matrix<E>, state: RetentionState<E>)
    {
        guard chunkSize >= 1 else { throw .chunkSize(chunkSize) }
        try RetentionInput.check(q: q, k: k, v: v)
        var current = state ?? RetentionState(keyDimension: q.columns, valueDimension: v.columns)
        try RetentionInput.check(state: current, keyDimension: q.columns, valueDimension: v.columns)

        let n = q.rows
        var out = Matrix<E>(rows: n, columns: v.columns)
        var r = current.s  // R_{i−1}
        var plan = ChunkPlan(length: Swift.min(chunkSize, n), decay: decay, zetaOffset: zetaOffset)
        var recorder = trace.map { ChunkTrace(trace: $0, q: q, k: k, v: v, decay: decay, state: state, r: r) }
        var start = 0, chunk = 0
        while start < n {
            // n − start rather than start + B, so that a huge B cannot overflow.
            let b = Swift.min(chunkSize, n - start)
            if b != plan.length { plan = ChunkPlan(length: b, decay: decay, zetaOffset: zetaOffset) }
            let rows = start..<(start + b)
            let qi = q.rowRange(rows), ki = k.rowRange(rows), vi = v.rowRange(rows)
            let kiT = ki.transposed

            let scores = qi * kiT
            let inner = scores.hadamard(plan.mask) * vi
            let cross = (qi * r).scalingRows(by: plan.xi)
            let chunkOutputs = inner + cross
            out.setRows(from: start, to: chunkOutputs)

            r = kiT * vi.scalingRows(by: plan.zeta) + plan.gammaToB * r
            recorder?.record(chunk: chunk, rows: rows, plan: plan,
                             values: (qi, ki, vi, scores, inner, cross, chunkOutputs, r))
            start += b
            chunk += 1
        }
        recorder?.finish(outputs: out)
        current.s = r
        current.position += n
        return (out, current)
    }
}

/// How the chunkwise form records itself in a trace: the nodes it reads, the decay factors of the
/// current plan, and the state R_{i−1} the next chunk starts from.
private struct ChunkTrace<E: RealScalar> {
    let trace: Tracer<E>
    let q: TraceNodeID, k: TraceNodeID, v: TraceNodeID, gamma: TraceNodeID
    /// R_{i−1}: the state the next chunk reads.
    var previous: TraceNodeID
    /// The decay factors recorded for the current plan, and the length they were recorded for.
    var factors: (length: Int, mask: TraceNodeID, xi: TraceNodeID, zeta: TraceNodeID, gammaToB: TraceNodeID)?
    var outputs: [TraceNodeID] = []

    init(trace: Tracer<E>, q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, decay: Decay<E>, state: RetentionState<E>?,
         r: Matrix<E>) {
        self.trace = trace
        (self.q, self.k, self.v) = (trace.node(for: q, symbol: "Q"), trace.node(for: k, symbol: "K"),
                                    trace.node(for: v, symbol: "V"))
        gamma = trace.node(forScalar: decay.gamma, symbol: "γ")
        previous = state == nil
            ? trace.leaf("R₋₁", "0", role: .state, value: r)
            : trace.node(for: r, symbol: "R₋₁", role: .state)
    }

    /// Records chunk i: the values it computed, in the order the kernel computed them.
    mutating func record(chunk i: Int, rows: Range<Int>, plan: ChunkPlan<E>,
                         values: (qi: Matrix<E>, ki: Matrix<E>, vi: Matrix<E>, scores: Matrix<E>, inner: Matrix<E>,
                                  cross: Matrix<E>, outputs: Matrix<E>, r: Matrix<E>)) {
        let b = plan.length
        if factors?.length != b {
            let column = { (entries: [E]) in Matrix(rows: entries.count, columns: 1, entries: entries) }
            factors = (b,
                       trace.record(.decayMask, "D", "b = \(b)", role: .constant, inputs: [gamma], value: plan.mask),
                       trace.record(.decayFactors, "ξ", "ξⱼ = γʲ⁺¹", role: .constant, inputs: [gamma], value: column(plan.xi)),
                       trace.record(.decayFactors, "ζ", "ζⱼ = γᵇ⁻ʲ⁻¹", role: .constant, inputs: [gamma],
                                    value: column(plan.zeta)),
                       trace.record(.decayFactors, "γ" + Notation.sup(b), role: .constant, inputs: [gamma],
                                    value: Matrix(rows: 1, columns: 1, entries: [plan.gammaToB])))
        }
        let f = factors!
        let c = "[\(i)]", before = "R" + Notation.sub(i - 1)
        trace.enterGroup("chunk \(i) · " + (rows.count == 1 ? "row \(rows.lowerBound)" : "rows \(rows.lowerBound)–\(rows.upperBound - 1)"))
        let qi = trace.record(.rowSlice, "Q" + c, inputs: [q], value: values.qi)
        let ki = trace.record(.rowSlice, "K" + c, inputs: [k], value: values.ki)
        let vi = trace.record(.rowSlice, "V" + c, inputs: [v], value: values.vi)
        let scores = trace.record(.scores, "Q\(c) K\(c)ᵀ", inputs: [qi, ki], value: values.scores)
        let inner = trace.record(.product, "inner", "(Q\(c) K\(c)ᵀ ⊙ D) V\(c)", inputs: [scores, f.mask, vi],
                                 value: values.inner)
        let cross = trace.record(.product, "cross", "(Q\(c) \(before)) ⊙ ξ", inputs: [qi, previous, f.xi],
                                 value: values.cross)
        outputs.append(trace.record(.sum, "O" + c, "inner + cross", role: .output, inputs: [inner, cross],
                                    value: values.outputs))
        previous = trace.record(.stateUpdate, "R" + Notation.sub(i),
                                "K\(c)ᵀ (V\(c) ⊙ ζ) + γ\(Notation.sup(b)) \(before)", role: .state,
                                inputs: [ki, vi, f.zeta, f.gammaToB, previous], value: values.r)
        trace.leaveGroup()
    }

    /// Records the chunks' outputs stacked into the n×d_v result.
    func finish(outputs out: Matrix<E>) {
        guard !outputs.isEmpty else { return }
        trace.record(.concatenation, "Retention(X)", "rows of O[0] … O[\(outputs.count - 1)]", role: .output,
                     inputs: outputs, value: out)
    }
}

/// What every chunk of length b needs and only b determines: D_b, ξ, ζ and γ^b. Built once for
/// B and once more for a shorter last chunk, not once per chunk. Shared with the backward pass
/// (ChunkwiseRetention+Backward.swift), which needs the same factors.
struct ChunkPlan<E: RealScalar> {
    let length: Int
    /// D_b (b×b), the parallel form's decay mask inside the chunk.
    let mask: Matrix<E>
    /// ξ_j = γ^{j+1}: how much the previous chunks' state has decayed by row j.
    let xi: [E]
    /// ζ_j = γ^{b−j−1+zetaOffset}: how much row j has decayed by the chunk's last row.
    let zeta: [E]
    /// γ^b: how much the old state decays across the whole chunk.
    let gammaToB: E

    init(length b: Int, decay: Decay<E>, zetaOffset: Int) {
        length = b
        mask = decay.mask(b)
        let powers = decay.powers(b + 1)  // γ⁰ … γ^b, each by pow
        xi = (0..<b).map { powers[$0 + 1] }
        // Only the deliberately wrong ζ can leave 0…b−1, and may then be negative: use pow for
        // it directly rather than `Decay.power`, which accepts only p ≥ 0.
        zeta = (0..<b).map { j in
            let p = b - j - 1 + zetaOffset
            return zetaOffset == 0 ? powers[p] : E.pow(decay.gamma, p)
        }
        gammaToB = powers[b]
    }
}
