import Matrices

extension ChunkwiseRetention {
    /// The backward pass of Eq. 7 with chunk size B: given dO = ∂L/∂O (n×d_v) and, optionally,
    /// the gradient of L with respect to the final state this form returned
    /// (`finalStateGradient`, d_k×d_v; zero when nil), the gradients of L with respect to Q, K,
    /// V and the starting state (`state`, R_{−1}; the zero state when nil).
    ///
    /// Chunk i (rows [iB, iB + b), j the row inside it) computed
    ///
    ///     O_[i] = (Q_[i] K_[i]ᵀ ⊙ D_b) V_[i]  +  (Q_[i] R_{i−1}) ⊙ ξ,    ξ_j = γ^{j+1},
    ///     R_i   = K_[i]ᵀ (V_[i] ⊙ ζ) + γ^b R_{i−1},                      ζ_j = γ^{b−j−1}.
    ///
    /// The chain rule takes each term apart. With dR_i = ∂L/∂R_i, which runs backwards over the
    /// chunks as the state ran forwards (the last chunk's dR is the final-state gradient):
    ///
    ///     inner:  the parallel backward on the chunk: A = Q_[i] K_[i]ᵀ ⊙ D_b,
    ///             dV_[i] += Aᵀ dO_[i],  dA = (dO_[i] V_[i]ᵀ) ⊙ D_b,  dQ_[i] += dA K_[i],  dK_[i] += dAᵀ Q_[i]
    ///     cross:  dQ_[i] += (dO_[i] ⊙ ξ) R_{i−1}ᵀ,         dR_{i−1} gets (Q_[i] ⊙ ξ)ᵀ dO_[i]
    ///     state:  dK_[i] += (V_[i] ⊙ ζ) dR_iᵀ,             dV_[i] += (K_[i] dR_i) ⊙ ζ
    ///             dR_{i−1} = (Q_[i] ⊙ ξ)ᵀ dO_[i] + γ^b dR_i,  and ∂L/∂R_{−1} = dR_{−1}.
    ///
    /// Every decay is relative to a chunk boundary (ξ, ζ, γ^b and D_b, all ≤ 1), as in the
    /// forward pass, so nothing overflows at any length.
    ///
    /// The cross part needs R_{i−1}, which runs forwards; the state part needs dR_i, which runs
    /// backwards. Rather than keep every chunk state (n/B · d_k d_v scalars), this runs two
    /// passes, as the recurrent backward does: forwards from R_{−1}, recomputing each R_{i−1},
    /// with the inner and cross parts; then backwards over the chunks for dR and the state
    /// part. The working memory is that of the forward pass, O(B² + B d + d_k d_v) whatever n
    /// (at most the scores A and dA, a chunk's rows and gradients, and R or dR), besides the
    /// gradients themselves. The work is O(n B d + n d_k d_v), two to three times the
    /// forward's: per chunk about (2 d_k + 1.5 d_v) b² multiply–adds for the inner part
    /// against (d_k + 0.5 d_v) b², and 5 b d_k d_v for the cross and state parts against 2.
    ///
    /// Throws `.chunkSize` for B < 1 (checked first, as in the forward pass), and `.shape` when
    /// K is not shaped like Q, V does not have n rows, the state or the final-state gradient is
    /// not d_k×d_v, or dO is not n×d_v.
    public static func backward<E: RealScalar>(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, decay: Decay<E>,
                                               chunkSize: Int, from state: RetentionState<E>? = nil,
                                               outputGradient dO: Matrix<E>,
                                               finalStateGradient dS: Matrix<E>? = nil)
        throws(RetentionError) -> RetentionGradients<E>
    {
        guard chunkSize >= 1 else { throw .chunkSize(chunkSize) }
        let start = try RetentionInput.check(q: q, k: k, v: v, state: state, outputGradient: dO,
                                             finalStateGradient: dS)
        let (n, dk, dv) = (q.rows, q.columns, v.columns)

        var dQ = Matrix<E>(rows: n, columns: dk), dK = dQ, dV = Matrix<E>(rows: n, columns: dv)
        var plan = ChunkPlan(length: Swift.min(chunkSize, n), decay: decay, zetaOffset: 0)
        func chunk(at first: Int) -> (rows: Range<Int>, q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, dO: Matrix<E>) {
            // n − first rather than first + B, so that a huge B cannot overflow.
            let b = Swift.min(chunkSize, n - first)
            if b != plan.length { plan = ChunkPlan(length: b, decay: decay, zetaOffset: 0) }
            let rows = first..<(first + b)
            return (rows, q.rowRange(rows), k.rowRange(rows), v.rowRange(rows), dO.rowRange(rows))
        }

        // Forwards: R_{i−1} from R_{−1}, with the inner and cross parts, which need no dR.
        var r = start.s
        var first = 0
        while first < n {
            let c = chunk(at: first)
            let scores = (c.q * c.k.transposed).hadamard(plan.mask)
            let dScores = (c.dO * c.v.transposed).hadamard(plan.mask)
            dQ.setRows(from: first, to: dScores * c.k + c.dO.scalingRows(by: plan.xi) * r.transposed)
            dK.setRows(from: first, to: dScores.transposed * c.q)
            dV.setRows(from: first, to: scores.transposed * c.dO)
            r = c.k.transposed * c.v.scalingRows(by: plan.zeta) + plan.gammaToB * r
            first += c.rows.count
        }

        // Backwards over the same chunks, last (perhaps shorter) first: dR_i gives the state
        // part of chunk i, then dR_{i−1}.
        var dR = dS ?? Matrix(rows: dk, columns: dv)
        first = n == 0 ? -1 : (n - 1) / chunkSize * chunkSize
        while first >= 0 {
            let c = chunk(at: first)
            dK.setRows(from: first, to: dK.rowRange(c.rows) + c.v.scalingRows(by: plan.zeta) * dR.transposed)
            dV.setRows(from: first, to: dV.rowRange(c.rows) + (c.k * dR).scalingRows(by: plan.zeta))
            dR = c.q.scalingRows(by: plan.xi).transposed * c.dO + plan.gammaToB * dR
            // first − B ≥ −Int.max: cannot overflow, and any B > first ends the loop.
            first -= chunkSize
        }
        return RetentionGradients(dQ: dQ, dK: dK, dV: dV, dState: dR)
    }
}
