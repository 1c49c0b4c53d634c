import Kernels
import Matrices
import Retention

extension RetentionKernels {
    /// The chunkwise form (paper Eq. 7) with tiled inner products and GEMMs for the state:
    ///
    ///     Retention(X_[i]) = (Q_[i] K_[i]ᵀ ⊙ D) V_[i] + (Q_[i] R_{i−1}) ⊙ ξ,    ξ_j = γ^{j+1}
    ///     R_i = K_[i]ᵀ (V_[i] ⊙ ζ) + γ^b R_{i−1},                              ζ_j = γ^{b−j−1}
    ///
    /// The inner part of each chunk is the tiled parallel form on the chunk's b rows
    /// (`lowerTriangleTiles`: GEMM tiles, decay applied between them, tiles above the diagonal
    /// skipped); the cross-chunk part Q_[i] R_{i−1} (b×d_k times d_k×d_v) and
    /// the state update K_[i]ᵀ (V_[i] ⊙ ζ) (d_k×b times b×d_v, added to γ^b R_{i−1}) are the
    /// blocked GEMM (the packed micro-kernel with this machine's register tile). A last chunk shorter than B is
    /// computed with its own b, without padding; B > n is one chunk.
    ///
    /// Starts from `state` (zero when nil) and returns the n×d_v outputs and R of the last
    /// chunk — the recurrent state S after row n − 1, position advanced by n — so that
    /// `RetentionKernelState.step` can carry on decoding.
    ///
    /// Throws `.chunkSize` for B < 1 and `.shape` as the other forms do.
    public static func chunkwise(q: Matrix<Float>, k: Matrix<Float>, v: Matrix<Float>, decay: Decay<Float>,
                                 chunkSize: Int, from state: RetentionKernelState? = nil)
        throws(RetentionError) -> (outputs: Matrix<Float>, state: RetentionKernelState)
    {
        guard chunkSize >= 1 else { throw .chunkSize(chunkSize) }
        try RetentionInput.check(q: q, k: k, v: v)
        var current = try RetentionKernelState.starting(from: state, keyDimension: q.columns, valueDimension: v.columns)
        try check(state: current, keyDimension: q.columns, valueDimension: v.columns)
        let (n, dk, dv) = (q.rows, q.columns, v.columns)
        let outputs = current.s.withUnsafeMutableBufferPointer { r in
            withStorage(q, k, v) { q, k, v, out in
                chunkwise(q: q, k: k, v: v, rows: n, dk: dk, dv: dv, decay: decay, chunkSize: chunkSize,
                          into: out, state: r.baseAddress!)
            }
        }
        current.position += n
        return (outputs, current)
    }

    /// The chunkwise form on raw memory, unchecked, the state updated in place: Q, K (n×d_k)
    /// and V (n×d_v) row-major, the n×d_v outputs written into `out`, and R (d_k×d_v) at `state`
    /// carried from R_{−1} to R of the last chunk. The caller checks B ≥ 1 and advances the
    /// position. Any size may be 0. V's rows are `ldv` ≥ d_v floats apart (d_v unless told: a
    /// head's columns of a wider row). The GEMMs are cut as `blocking` says: this machine's tile
    /// unless told.
    package static func chunkwise(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                  ldv: Int? = nil, rows n: Int, dk: Int, dv: Int, decay: Decay<Float>, chunkSize: Int,
                                  into out: UnsafeMutablePointer<Float>, state r: UnsafeMutablePointer<Float>,
                                  blocking: GEMMBlocking = .selected) {
        let ldv = ldv ?? dv
        guard n > 0, dv > 0 else { return }
        // The inner part adds into the outputs, tile after tile, from 0.
        out.update(repeating: 0, count: n * dv)
        guard dk > 0 else { return }  // no scores and no state: every output is 0
        let b0 = Swift.min(chunkSize, n)
        var plan = ChunkKernelPlan(length: b0, decay: decay)
        let stride = b0
        // Scratch, every float written before it is read: K_[i]ᵀ (d_k rows of `stride` floats),
        // the tiles' own scratch, Q_[i] R_{i−1} and V_[i] ⊙ ζ.
        let tiles = TileScratch(dk: dk, dv: dv, blocking: blocking)
        let kT = UnsafeMutablePointer<Float>.allocate(capacity: dk * stride)
        let cross = UnsafeMutablePointer<Float>.allocate(capacity: b0 * dv)
        let weighted = UnsafeMutablePointer<Float>.allocate(capacity: b0 * dv)
        defer { tiles.deallocate(); kT.deallocate(); cross.deallocate(); weighted.deallocate() }
        var start = 0
        while start < n {
            let b = Swift.min(chunkSize, n - start)
            if b != plan.length { plan = ChunkKernelPlan(length: b, decay: decay) }
            let (qi, vi, oi) = (q + start * dk, v + start * ldv, out + start * dv)
            transpose(k, rows: start, count: b, width: dk, stride: stride, into: kT)
            plan.table.values.withUnsafeBufferPointer { table in
                plan.xi.withUnsafeBufferPointer { xi in
                    let table = table.baseAddress!
                    // Inner: (Q_[i] K_[i]ᵀ ⊙ D) V_[i], straight into the chunk's (zero) output rows.
                    lowerTriangleTiles(q: qi, kT: kT, ldk: stride, v: vi, ldv: ldv, out: oi, rows: b, dk: dk, dv: dv,
                                       table: table, scratch: tiles, blocking: blocking)
                    // Cross: o_j += ξ_j (Q_[i] R_{i−1})_j.
                    GEMM.blockedKernel(qi, lda: dk, r, ldb: dv, cross, ldc: dv, m: b, n: dv, k: dk, accumulate: false,
                                       blocking: blocking)
                    for j in 0..<b { Elementwise.addProduct(xi[j], cross + j * dv, to: oi + j * dv, count: dv) }
                    // State: R_i = γ^b R_{i−1} + K_[i]ᵀ (V_[i] ⊙ ζ), ζ_j = table[j].
                    for j in 0..<b { Elementwise.scaled(vi + j * ldv, by: table[j], into: weighted + j * dv, count: dv) }
                }
            }
            Elementwise.multiply(r, by: plan.gammaToB, count: dk * dv)
            GEMM.blockedKernel(kT, lda: stride, weighted, ldb: dv, r, ldc: dv, m: dk, n: dv, k: b, accumulate: true,
                               blocking: blocking)
            start += b
        }
    }
}

/// What every chunk of length b needs and only b determines: the decay table of D_b (whose
/// first b entries are ζ_j = γ^{b−j−1}), ξ and γ^b, each power by `Decay.power`. Built once for
/// B and once more for a shorter last chunk.
struct ChunkKernelPlan {
    let length: Int
    /// D_tm = table[b − 1 − t + m] inside the chunk; ζ_j = table[j].
    let table: DecayTable
    /// ξ_j = γ^{j+1}.
    let xi: [Float]
    /// γ^b.
    let gammaToB: Float

    init(length b: Int, decay: Decay<Float>) {
        length = b
        table = DecayTable(length: b, decay: decay, trailingZeros: RetentionKernels.parallelTile - 1)
        xi = (0..<b).map { decay.power($0 + 1) }
        gammaToB = decay.power(b)
    }
}
