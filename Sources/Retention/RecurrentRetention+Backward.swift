import Matrices

extension RecurrentRetention {
    /// The backward pass of the recurrence S_n = γ S_{n−1} + K_nᵀ V_n, o_n = Q_n S_n: given
    /// dO = ∂L/∂O (n×d_v) and, optionally, the gradient of L with respect to the final state
    /// this form returned (`finalStateGradient`, d_k×d_v; zero when nil), the gradients of L
    /// with respect to Q, K, V and the starting state (`state`, the zero state when nil).
    ///
    /// Let G_n = ∂L/∂S_n. S_n reaches L through o_n and through S_{n+1} = γ S_n + …, so G runs
    /// backwards in time, the recurrence turned around:
    ///
    ///     G_{N−1} = dS_final + Q_{N−1}ᵀ dO_{N−1},    G_n = γ G_{n+1} + Q_nᵀ dO_n,
    ///
    /// and each token's gradients are read off the state it wrote and the gradient it received:
    ///
    ///     dQ_n = dO_n S_nᵀ,    dK_n = (G_n V_nᵀ)ᵀ = V_n G_nᵀ,    dV_n = K_n G_n,
    ///     ∂L/∂S_{−1} = γ G_0    (dS_final itself when n = 0: the state passed through).
    ///
    /// dQ needs S_n, which runs forwards; dK and dV need G_n, which runs backwards. Keeping every
    /// S_n would cost n d_k d_v scalars, and running S backwards, S_{n−1} = (S_n − K_nᵀ V_n)/γ,
    /// divides by γ at every step and so multiplies its rounding errors by γ^{−n}. So this runs
    /// two passes: forwards from S_{−1}, recomputing S_n for dQ; then backwards for G, dK and dV.
    /// The working memory is two d_k×d_v matrices (S and G) whatever n, besides the gradients
    /// themselves. The work, counted as `RetentionCost` counts (the forward pass does 3 d_k d_v
    /// multiply–adds per token), is 7 d_k d_v per token: 3 forwards (γ S, + K_ni V_nj, dO_nj S_ij)
    /// and 4 backwards (+ Q_ni dO_nj, G_ij V_nj, K_ni G_ij, γ G).
    ///
    /// Throws `.shape` when K is not shaped like Q, V does not have n rows, the state or the
    /// final-state gradient is not d_k×d_v, or dO is not n×d_v.
    public static func backward<E: RealScalar>(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, decay: Decay<E>,
                                               from state: RetentionState<E>? = nil,
                                               outputGradient dO: Matrix<E>,
                                               finalStateGradient dS: Matrix<E>? = nil)
        throws(RetentionError) -> RetentionGradients<E>
    {
        let start = try RetentionInput.check(q: q, k: k, v: v, state: state, outputGradient: dO,
                                             finalStateGradient: dS)
        let (n, dk, dv) = (q.rows, q.columns, v.columns)

        let gamma = decay.gamma
        var dQ = [E](repeating: 0, count: n * dk), dK = dQ, dV = [E](repeating: 0, count: n * dv)
        var s = start.s.storage  // S_{n}, from S_{−1}
        var g = (dS ?? Matrix(rows: dk, columns: dv)).storage  // ∂L/∂S_n from the tokens after n
        // Raw storage for the reason `RetentionState.advance` gives: these loops are the whole
        // cost, and must not allocate per token on a 65,536-token sequence.
        q.storage.withUnsafeBufferPointer { q in
            k.storage.withUnsafeBufferPointer { k in
                v.storage.withUnsafeBufferPointer { v in
                    dO.storage.withUnsafeBufferPointer { dO in
                        s.withUnsafeMutableBufferPointer { s in
                            dQ.withUnsafeMutableBufferPointer { dQ in
                                // Forwards: S_n = γ S_{n−1} + K_nᵀ V_n, then dQ_ni = Σ_j dO_nj S_ij.
                                for t in 0..<n {
                                    let (kRow, vRow) = (t * dk, t * dv)
                                    for i in 0..<dk {
                                        let ki = k[kRow + i], sRow = i * dv
                                        var sum: E = 0
                                        for j in 0..<dv {
                                            let sij = gamma * s[sRow + j] + ki * v[vRow + j]
                                            s[sRow + j] = sij
                                            sum += dO[vRow + j] * sij
                                        }
                                        dQ[kRow + i] = sum
                                    }
                                }
                            }
                        }
                        g.withUnsafeMutableBufferPointer { g in
                            dK.withUnsafeMutableBufferPointer { dK in
                                dV.withUnsafeMutableBufferPointer { dV in
                                    // Backwards: G_n = (what came back) + Q_nᵀ dO_n, then
                                    // dK_ni = Σ_j G_ij V_nj, dV_nj += K_ni G_ij, and γ G_n is
                                    // what goes back to token n − 1.
                                    for t in stride(from: n - 1, through: 0, by: -1) {
                                        let (kRow, vRow) = (t * dk, t * dv)
                                        for i in 0..<dk {
                                            let qi = q[kRow + i], ki = k[kRow + i], gRow = i * dv
                                            var sum: E = 0
                                            for j in 0..<dv {
                                                let gij = g[gRow + j] + qi * dO[vRow + j]
                                                sum += gij * v[vRow + j]
                                                dV[vRow + j] += ki * gij
                                                g[gRow + j] = gamma * gij
                                            }
                                            dK[kRow + i] = sum
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return RetentionGradients(dQ: Matrix(rows: n, columns: dk, entries: dQ),
                                  dK: Matrix(rows: n, columns: dk, entries: dK),
                                  dV: Matrix(rows: n, columns: dv, entries: dV),
                                  dState: Matrix(rows: dk, columns: dv, entries: g))
    }
}
