import Kernels
import Matrices
import Retention

extension RetentionKernelState {
    /// One decoding step (paper Eq. 6): S ← γ S + k_nᵀ v_n, then returns o_n = q_n S (d_v
    /// floats) and advances `position`.
    ///
    /// Row i of S is updated as one vectorised rank-1 step, S_i ← γ S_i + k_i v (16 columns per
    /// `SIMD16`, the product with k_i fused into the add), and used at once, while it is in
    /// registers, for o ← o + q_i S_i: each of S's d_k·d_v entries is read and written once.
    ///
    /// q and k must hold d_k floats and v d_v; otherwise this throws `.shape` naming the
    /// argument and leaves the state untouched.
    public mutating func step(q: [Float], k: [Float], v: [Float], decay: Decay<Float>) throws(RetentionError) -> [Float] {
        guard q.count == keyDimension else {
            throw .shape(ShapeError(argument: "q", expected: "\(keyDimension) entries (d_k)", got: "\(q.count)"))
        }
        guard k.count == keyDimension else {
            throw .shape(ShapeError(argument: "k", expected: "\(keyDimension) entries (d_k)", got: "\(k.count)"))
        }
        guard v.count == valueDimension else {
            throw .shape(ShapeError(argument: "v", expected: "\(valueDimension) entries (d_v)", got: "\(v.count)"))
        }
        var out = [Float](repeating: 0, count: valueDimension)
        advance(q: q, k: k, v: v, rows: 1, decay: decay, into: &out)
        return out
    }

    /// The recurrence over n rows of row-major q, k (d_k columns) and v (d_v columns), writing
    /// o_t into row t of `out`. Shapes are the caller's to check.
    mutating func advance(q: [Float], k: [Float], v: [Float], rows n: Int, decay: Decay<Float>, into out: inout [Float]) {
        let (dk, dv) = (keyDimension, valueDimension)
        q.withUnsafeBufferPointer { q in
            k.withUnsafeBufferPointer { k in
                v.withUnsafeBufferPointer { v in
                    s.withUnsafeMutableBufferPointer { s in
                        out.withUnsafeMutableBufferPointer { out in
                            RetentionKernels.recurrent(q: q.baseAddress!, k: k.baseAddress!, v: v.baseAddress!, rows: n,
                                                       dk: dk, dv: dv, decay: decay, into: out.baseAddress!,
                                                       state: s.baseAddress!)
                        }
                    }
                }
            }
        }
        position += n
    }
}

extension RetentionKernels {
    /// The recurrent form over a whole sequence: `RetentionKernelState.step`'s update for every
    /// row of Q, K (n×d_k) and V (n×d_v), from `state` (zero when nil). Returns the n×d_v
    /// outputs and the state after the last row.
    ///
    /// Throws `.shape` for a K not shaped like Q, a V without n rows, or a state not d_k×d_v.
    public static func recurrent(q: Matrix<Float>, k: Matrix<Float>, v: Matrix<Float>, decay: Decay<Float>,
                                 from state: RetentionKernelState? = nil)
        throws(RetentionError) -> (outputs: Matrix<Float>, state: RetentionKernelState)
    {
        try RetentionInput.check(q: q, k: k, v: v)
        var current = try RetentionKernelState.starting(from: state, keyDimension: q.columns, valueDimension: v.columns)
        try check(state: current, keyDimension: q.columns, valueDimension: v.columns)
        var out = [Float](repeating: 0, count: q.rows * v.columns)
        current.advance(q: q.storage, k: k.storage, v: v.storage, rows: q.rows, decay: decay, into: &out)
        return (Matrix(rows: q.rows, columns: v.columns, entries: out), current)
    }

    /// The recurrent form on raw memory, unchecked, the state updated in place: for t = 0 … n−1,
    /// S ← γ S + k_tᵀ v_t and o_t = q_t S, with Q, K (n×d_k) and V (n×d_v) row-major, the n×d_v
    /// outputs written into `out` and S (d_k×d_v) at `state`. The caller advances the position.
    /// Any size may be 0. V's rows are `ldv` ≥ d_v floats apart (d_v unless told). One row is a
    /// decoding step; nothing here allocates.
    ///
    /// For each row and each block of 16 columns j, row i of S is updated and used at once,
    /// while it is in registers: each entry of S is read and written once per row.
    package static func recurrent(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                  ldv: Int? = nil, rows: Int, dk: Int, dv: Int, decay: Decay<Float>,
                                  into o: UnsafeMutablePointer<Float>, state s: UnsafeMutablePointer<Float>) {
        let ldv = ldv ?? dv
        guard rows > 0, dv > 0 else { return }
        guard dk > 0 else {
            o.update(repeating: 0, count: rows * dv)  // S has no rows: every output is 0
            return
        }
        typealias V = SIMD16<Float>
        let gamma = decay.gamma
        let g = V(repeating: gamma)
        let vectorEnd = dv - dv % 16
        let sBytes = UnsafeMutableRawPointer(s)
        for n in 0..<rows {
            let (qRow, kRow) = (n &* dk, n &* dk)
            let vBytes = UnsafeRawPointer(v + n &* ldv)
            let oBytes = UnsafeMutableRawPointer(o + n &* dv)
            var j = 0
            while j < vectorEnd {
                // o_n[j…j+15], kept in a register across all d_k rows of S.
                var acc = V()
                let vj = vBytes.loadUnaligned(fromByteOffset: j &* 4, as: V.self)
                for i in 0..<dk {
                    let offset = (i &* dv &+ j) &* 4
                    let row = (g * sBytes.loadUnaligned(fromByteOffset: offset, as: V.self))
                        .addingProduct(V(repeating: k[kRow &+ i]), vj)
                    sBytes.storeBytes(of: row, toByteOffset: offset, as: V.self)
                    acc = acc.addingProduct(V(repeating: q[qRow &+ i]), row)
                }
                oBytes.storeBytes(of: acc, toByteOffset: j &* 4, as: V.self)
                j &+= 16
            }
            while j < dv {
                var acc: Float = 0
                for i in 0..<dk {
                    let entry = (gamma * s[i &* dv &+ j]).addingProduct(k[kRow &+ i], v[n &* ldv &+ j])
                    s[i &* dv &+ j] = entry
                    acc = acc.addingProduct(q[qRow &+ i], entry)
                }
                o[n &* dv &+ j] = acc
                j &+= 1
            }
        }
    }
}
