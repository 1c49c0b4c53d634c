import Kernels
import Matrices
import Retention

extension RetentionKernels {
    /// The side of the square tiles of the tiled parallel form: large enough that each tile
    /// product is a real GEMM (the packed micro-kernel's register tiles, 6×16 or 12×32, fill
    /// it), small enough that a tile of scores stays in the L2 cache.
    package static let parallelTile = 128

    /// The parallel form (paper Eq. 5), (Q Kᵀ ⊙ D) V, as tiles of GEMMs over the lower triangle:
    ///
    ///     O_i = Σ_{j ≤ i} (Q_i K_jᵀ ⊙ D_ij) V_j      (row tile i, column tile j, T = `parallelTile`)
    ///
    /// Tiles above the diagonal are all zero in D and are never computed, so the work is about
    /// half of n²(d_k + d_v). Each tile's scores Q_i K_jᵀ and each product with V_j is the blocked
    /// GEMM; D_ij is applied to the T×T scores in between, row by row from one `DecayTable` of
    /// powers γ^p computed directly (never γ^n·γ^{−m}). Unlike the chunkwise form, no state passes between tiles: every
    /// output row sums over all earlier keys, exactly as the formula reads.
    ///
    /// Returns the outputs and the state a prefill hands on, S_{n−1} = Kᵀ (V ⊙ ζ) with
    /// ζ_m = γ^{n−1−m} (one more GEMM), at position n. The parallel form starts at position 0.
    public static func tiledParallel(q: Matrix<Float>, k: Matrix<Float>, v: Matrix<Float>, decay: Decay<Float>)
        throws(RetentionError) -> (outputs: Matrix<Float>, state: RetentionKernelState)
    {
        try RetentionInput.check(q: q, k: k, v: v)
        let (n, dk, dv) = (q.rows, q.columns, v.columns)
        var state = RetentionKernelState(zeroKeyDimension: dk, valueDimension: dv)
        let outputs = state.s.withUnsafeMutableBufferPointer { s in
            withStorage(q, k, v) { q, k, v, out in
                tiledParallel(q: q, k: k, v: v, rows: n, dk: dk, dv: dv, decay: decay, into: out, state: s.baseAddress!)
            }
        }
        state.position = n
        return (outputs, state)
    }

    /// The tiled parallel form on raw memory, unchecked: Q, K (n×d_k) and V (n×d_v) row-major,
    /// the n×d_v outputs written into `out` and S_{n−1} (d_k×d_v) into `state`, whatever it held
    /// (the parallel form starts from the zero state). The caller sets the position to n. Any
    /// size may be 0. V's rows are `ldv` ≥ d_v floats apart (d_v unless told). The GEMMs are cut
    /// as `blocking` says: this machine's tile unless told.
    package static func tiledParallel(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                      ldv: Int? = nil, rows n: Int, dk: Int, dv: Int, decay: Decay<Float>,
                                      into out: UnsafeMutablePointer<Float>, state s: UnsafeMutablePointer<Float>,
                                      blocking: GEMMBlocking = .selected) {
        let ldv = ldv ?? dv
        // The tiles add into the outputs from 0; S is a sum over no rows until there are some.
        out.update(repeating: 0, count: n * dv)
        s.update(repeating: 0, count: dk * dv)
        guard n > 0, dk > 0, dv > 0 else { return }
        // D_tm = table[n − 1 − t + m]; ζ_m = table[m].
        let table = DecayTable(length: n, decay: decay, trailingZeros: parallelTile - 1)
        // Scratch, every float written before it is read: Kᵀ (d_k×n), the tiles' own, V ⊙ ζ (n×d_v).
        let tiles = TileScratch(dk: dk, dv: dv, blocking: blocking)
        let kT = UnsafeMutablePointer<Float>.allocate(capacity: dk * n)
        let weighted = UnsafeMutablePointer<Float>.allocate(capacity: n * dv)
        defer { tiles.deallocate(); kT.deallocate(); weighted.deallocate() }
        transpose(k, rows: 0, count: n, width: dk, stride: n, into: kT)
        table.values.withUnsafeBufferPointer { table in
            let table = table.baseAddress!
            lowerTriangleTiles(q: q, kT: kT, ldk: n, v: v, ldv: ldv, out: out, rows: n, dk: dk, dv: dv, table: table,
                               scratch: tiles, blocking: blocking)
            // The state after the last row: S = Kᵀ (V ⊙ ζ), ζ_m = γ^{n−1−m}.
            for m in 0..<n { Elementwise.scaled(v + m * ldv, by: table[m], into: weighted + m * dv, count: dv) }
        }
        GEMM.blockedKernel(kT, lda: n, weighted, ldb: dv, s, ldc: dv, m: dk, n: dv, k: n, accumulate: false,
                           blocking: blocking)
    }

    /// O += (Q Kᵀ ⊙ D) V for n rows, by `parallelTile`-square tiles over the lower triangle:
    /// for column tile j, K_jᵀ and V_j are packed once (`GEMM.packB(all:)`); then for each row
    /// tile i ≥ j, S = Q_i K_jᵀ (GEMM), S ⊙ D_ij, and O_i += S V_j (GEMM). Each O_i still gets
    /// its terms in the order j = 0, 1, …. D_ij's row t is a contiguous slice of `table`, a
    /// `DecayTable` for n with at least `parallelTile` − 1 trailing zeros: D_tm =
    /// table[n − 1 − t + m], which is γ^{t−m} for m ≤ t and 0 above the diagonal, so one
    /// vectorisable product per row applies decay and mask together. `kT` is Kᵀ with row stride
    /// `ldk` ≥ n, V's rows `ldv` apart; `scratch` holds a tile of scores and the packed K_jᵀ and V_j. Used by `tiledParallel` over the
    /// whole sequence and by `chunkwise` in each chunk, with their `blocking`.
    static func lowerTriangleTiles(q: UnsafePointer<Float>, kT: UnsafePointer<Float>, ldk: Int, v: UnsafePointer<Float>, ldv: Int,
                                   out: UnsafeMutablePointer<Float>, rows n: Int, dk: Int, dv: Int,
                                   table: UnsafePointer<Float>, scratch: TileScratch, blocking: GEMMBlocking) {
        let tile = parallelTile
        let (scores, packedK, packedV) = (scratch.scores, scratch.packedK, scratch.packedV)
        for columnStart in stride(from: 0, to: n, by: tile) {
            let columns = Swift.min(tile, n - columnStart)
            GEMM.packB(all: kT + columnStart, ldb: ldk, depth: dk, columns: columns, into: packedK, blocking: blocking)
            GEMM.packB(all: v + columnStart * ldv, ldb: ldv, depth: columns, columns: dv, into: packedV, blocking: blocking)
            for rowStart in stride(from: columnStart, to: n, by: tile) {
                let rows = Swift.min(tile, n - rowStart)
                // S = Q_i K_jᵀ (rows×columns).
                GEMM.blockedKernel(q + rowStart * dk, lda: dk, packed: packedK, scores, ldc: columns,
                                   m: rows, n: columns, k: dk, accumulate: false, blocking: blocking)
                // S ⊙ D_ij, row by row.
                for r in 0..<rows {
                    Elementwise.multiply(scores + r * columns, by: table + (n - 1 - (rowStart + r) + columnStart),
                                         count: columns)
                }
                // O_i += (S ⊙ D_ij) V_j.
                GEMM.blockedKernel(scores, lda: columns, packed: packedV, out + rowStart * dv, ldc: dv,
                                   m: rows, n: dv, k: columns, accumulate: true, blocking: blocking)
            }
        }
    }
}

/// What `lowerTriangleTiles` writes between its GEMMs, allocated once per kernel call (not per
/// chunk) and never zeroed: a T×T tile of scores and the packed K_jᵀ (d_k×T) and V_j (T×d_v),
/// each written in full before it is read.
struct TileScratch {
    let scores: UnsafeMutablePointer<Float>
    let packedK: UnsafeMutablePointer<Float>
    let packedV: UnsafeMutablePointer<Float>

    init(dk: Int, dv: Int, blocking: GEMMBlocking) {
        let tile = RetentionKernels.parallelTile
        scores = .allocate(capacity: tile * tile)
        packedK = .allocate(capacity: GEMM.packedCount(k: dk, n: tile, blocking: blocking))
        packedV = .allocate(capacity: GEMM.packedCount(k: tile, n: dv, blocking: blocking))
    }

    func deallocate() {
        scores.deallocate()
        packedK.deallocate()
        packedV.deallocate()
    }
}
