import Kernels
import Matrices
import Retention

extension RetentionKernels {
    /// The parallel form (Q Kᵀ ⊙ D) V, with the decay applied on the fly and the masked half
    /// skipped.
    ///
    /// For each query row t, scores for 16 keys m₀ … m₀+15 at a time are one `SIMD16` chain of
    /// fused multiply–adds over d_k (against Kᵀ, so the 16 keys are contiguous), multiplied by
    /// 16 consecutive entries of the `DecayTable` — γ^{t−m}, or 0 past the diagonal. Key blocks
    /// that start after t are never computed: only ⌈(t+1)/16⌉ of the n/16 blocks, about half of
    /// the n² scores in all, and no n×n matrix is ever stored. Then o_t = Σ_{m≤t} s_tm V_m,
    /// summed in the order m = 0 … t, 16 value columns per `SIMD16`.
    ///
    /// Throws `.shape` for a K not shaped like Q or a V without n rows.
    public static func parallel(q: Matrix<Float>, k: Matrix<Float>, v: Matrix<Float>, decay: Decay<Float>)
        throws(RetentionError) -> Matrix<Float>
    {
        try RetentionInput.check(q: q, k: k, v: v)
        let (n, dk, dv) = (q.rows, q.columns, v.columns)
        return withStorage(q, k, v) { q, k, v, out in
            parallel(q: q, k: k, v: v, rows: n, dk: dk, dv: dv, decay: decay, into: out)
        }
    }

    /// The parallel form on raw memory, unchecked: Q, K (n×d_k) and V (n×d_v) row-major, the
    /// n×d_v outputs written into `out`. Any size may be 0.
    package static func parallel(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                 rows n: Int, dk: Int, dv: Int, decay: Decay<Float>, into out: UnsafeMutablePointer<Float>) {
        guard n > 0, dv > 0 else { return }
        guard dk > 0 else {
            out.update(repeating: 0, count: n * dv)  // no scores: every output is 0
            return
        }
        let table = DecayTable(length: n, decay: decay)
        // Each row of Kᵀ holds the n keys padded up to whole blocks of 16, one SIMD16 each.
        let stride = (n + 15) / 16 * 16
        var kT = [Float](repeating: 0, count: dk * stride)
        var scores = [Float](repeating: 0, count: stride)
        table.values.withUnsafeBufferPointer { table in
            kT.withUnsafeMutableBufferPointer { kT in
                scores.withUnsafeMutableBufferPointer { scores in
                    transpose(k, rows: 0, count: n, width: dk, stride: stride, into: kT.baseAddress!)
                    parallelRows(q: q, kT: kT.baseAddress!, stride: stride, v: v, out: out, n: n, dk: dk, dv: dv,
                                 table: table.baseAddress!, scores: scores.baseAddress!)
                }
            }
        }
    }

    /// o_t = Σ_{m≤t} γ^{t−m} (Q_t · K_m) V_m for t = 0 … n−1, written into `out` (n×d_v).
    /// `kT` is Kᵀ (d_k rows of `stride` ≥ n floats, zero-padded), `table` a `DecayTable` for n,
    /// `scores` scratch for `stride` floats.
    static func parallelRows(q: UnsafePointer<Float>, kT: UnsafePointer<Float>, stride: Int, v: UnsafePointer<Float>,
                             out: UnsafeMutablePointer<Float>, n: Int, dk: Int, dv: Int,
                             table: UnsafePointer<Float>, scores: UnsafeMutablePointer<Float>) {
        typealias V = SIMD16<Float>
        let kBytes = UnsafeRawPointer(kT), tableBytes = UnsafeRawPointer(table)
        let scoreBytes = UnsafeMutableRawPointer(scores)
        let vectorEnd = dv - dv % 16
        for t in 0..<n {
            let qRow = q + t &* dk
            // Scores for keys 0 … t, 16 at a time; blocks past t are skipped.
            var m0 = 0
            while m0 <= t {
                var s = V()
                for p in 0..<dk {
                    s = s.addingProduct(V(repeating: qRow[p]),
                                        kBytes.loadUnaligned(fromByteOffset: (p &* stride &+ m0) &* 4, as: V.self))
                }
                s *= tableBytes.loadUnaligned(fromByteOffset: (n &- 1 &- t &+ m0) &* 4, as: V.self)
                scoreBytes.storeBytes(of: s, toByteOffset: m0 &* 4, as: V.self)
                m0 &+= 16
            }
            // o_t = Σ_{m ≤ t} s_m V_m, 16 value columns at a time.
            let oRow = out + t &* dv
            let oBytes = UnsafeMutableRawPointer(oRow)
            var j = 0
            while j < vectorEnd {
                var acc = V()
                for m in 0...t {
                    acc = acc.addingProduct(V(repeating: scores[m]),
                                            UnsafeRawPointer(v + (m &* dv &+ j)).loadUnaligned(as: V.self))
                }
                oBytes.storeBytes(of: acc, toByteOffset: j &* 4, as: V.self)
                j &+= 16
            }
            while j < dv {
                var acc: Float = 0
                for m in 0...t { acc = acc.addingProduct(scores[m], v[m &* dv &+ j]) }
                oRow[j] = acc
                j &+= 1
            }
        }
    }
}
