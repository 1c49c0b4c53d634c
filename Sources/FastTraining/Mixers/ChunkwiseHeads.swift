import FastLayers
import FastRetention
import Kernels
import Retention

/// One retention head of one sequence in the chunkwise form (Sec. 2.2, Eq. 7), chunks of B
/// tokens, as GEMMs on b×b matrices (b = B, the last chunk perhaps shorter). Chunk i holds rows
/// [iB, iB + b), j the row inside it:
///
///     forward    O_[i] = (Q_[i] K_[i]ᵀ ⊙ D_b) V_[i] + (Q_[i] ⊙ ξ) R_{i−1},    ξ_j = γ^{j+1}
///                R_i   = γ^b R_{i−1} + K_[i]ᵀ (V_[i] ⊙ ζ),                    ζ_j = γ^{b−j−1}
///     backward   (chunks last first, dR the gradient of the state after the chunk, zero at the end)
///                A = Q_[i] K_[i]ᵀ ⊙ D_b again,  dA = (dO_[i] V_[i]ᵀ) ⊙ D_b
///                dV_[i] = Aᵀ dO_[i] + (K_[i] dR) ⊙ ζ
///                dQ_[i] = dA K_[i] + (dO_[i] ⊙ ξ) R_{i−1}ᵀ
///                dK_[i] = dAᵀ Q_[i] + (V_[i] ⊙ ζ) dRᵀ
///                dR    ← γ^b dR + (Q_[i] ⊙ ξ)ᵀ dO_[i]
///
/// (`ChunkwiseRetention.backward`, chapter 10, whose terms these are.) The reference recomputes
/// each R_{i−1} in a second pass rather than keep them; here the forward pass keeps them,
/// ⌈T/B⌉ · d_k d_v floats per head and sequence, so that the backward pass is one sweep. What a
/// block keeps is then Q, K, V (T · (2d_k + d_v) per head) and the states, never a T×T matrix:
/// the scores live only in one thread's scratch, b² at a time. Every decay is relative to a
/// chunk boundary (ξ, ζ, γ^b and D_b, all ≤ 1), so nothing overflows at any length.
///
/// With B = 1 this is the recurrent form (Eq. 6): each chunk one token, R its state.
struct ChunkwiseHeads: MixerHeads {
    let layout: HeadLayout
    /// B (at most T).
    let chunkSize: Int
    /// D_B's tables, which mask every chunk's b×b scores.
    let mask: DecayMask
    /// Per head, γ^p for p = 0 … B (ξ, ζ and γ^b are read from it).
    let powers: [[Float]]

    /// ⌈T/B⌉.
    var chunks: Int { (length + chunkSize - 1) / chunkSize }

    /// Buffers for R = `rows` rows of sequences of `length` tokens: Q, K, V and each chunk's
    /// starting state.
    static func activations(_ shape: MixerShape, rows: Int, length: Int, chunkSize: Int) -> HeadActivations {
        let chunks = (length + chunkSize - 1) / chunkSize
        return HeadActivations(shape, rows: rows, length: length, keepingWeights: false,
                               keptPerItem: chunks * shape.keyDimension * shape.headDimension)
    }

    /// One thread's scratch: b×b scores and their gradient, blocks of b rows and a state.
    static func scratch(_ shape: MixerShape, length: Int, chunkSize: Int) -> HeadScratch {
        HeadScratch(shape, .init(side: chunkSize, gradientRows: chunkSize, outputRows: length, blockRows: chunkSize,
                                 stateFloats: shape.keyDimension * shape.headDimension))
    }

    /// The rows of chunk `i`: its first position and its length b.
    private func chunk(_ i: Int) -> (first: Int, rows: Int) {
        let first = i * chunkSize
        return (first, Swift.min(chunkSize, length - first))
    }

    /// A = Q_[i] K_[i]ᵀ ⊙ D_b (b×b) into `a`.
    private func scores(q: UnsafePointer<Float>, k: UnsafePointer<Float>, rows b: Int, head: Int,
                        into a: UnsafeMutablePointer<Float>) {
        let dk = layout.shape.keyDimension
        GEMM.multiply(unchecked: .plain(q, stride: dk), .transposed(k, stride: dk), into: a, ldc: b, m: b, n: b, k: dk,
                      accumulate: false, threads: 1, structure: .lowerOutput)
        mask.mask(a, length: b, head: head)
    }

    /// Row j of the b×`width` block at `x` times `power[offset(j)]`, into `out`.
    private func scaleRows(_ x: UnsafePointer<Float>, stride: Int, rows b: Int, width: Int, by power: UnsafePointer<Float>,
                           _ exponent: (Int) -> Int, into out: UnsafeMutablePointer<Float>) {
        for j in 0..<b {
            let factor = power[exponent(j)]
            for c in 0..<width { out[j * width + c] = factor * x[j * stride + c] }
        }
    }

    func forward(_ item: Int, projected: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, stride: Int,
                 scratch: HeadScratch) {
        let (dk, dv) = (layout.shape.keyDimension, layout.shape.headDimension)
        let h = place(item).head
        layout.gather(item, projected: projected)
        let (q, k, v) = layout.qkv(item)
        let states = layout.buffers.formKept!.pointer + item * chunks * dk * dv
        let (a, r) = (scratch.weights, scratch.state)
        r.update(repeating: 0, count: dk * dv)
        powers[h].withUnsafeBufferPointer { powers in
            let power = powers.baseAddress!
            for i in 0..<chunks {
                let (first, b) = chunk(i)
                let (qi, ki, vi, oi) = (q + first * dk, k + first * dk, v + first * dv, out + first * stride)
                (states + i * dk * dv).update(from: r, count: dk * dv)
                scores(q: qi, k: ki, rows: b, head: h, into: a)
                GEMM.multiply(unchecked: .plain(a, stride: b), .plain(vi, stride: dv), into: oi, ldc: stride, m: b, n: dv,
                              k: b, accumulate: false, threads: 1, structure: .lowerA)
                if i > 0 {  // the cross-chunk part: (Q_[i] ⊙ ξ) R_{i−1}
                    scaleRows(qi, stride: dk, rows: b, width: dk, by: power, { $0 + 1 }, into: scratch.blockA)
                    GEMM.multiply(unchecked: .plain(scratch.blockA, stride: dk), .plain(r, stride: dv), into: oi,
                                  ldc: stride, m: b, n: dv, k: dk, accumulate: true, threads: 1)
                }
                if i + 1 < chunks {  // R_i = γ^b R_{i−1} + K_[i]ᵀ (V_[i] ⊙ ζ)
                    scaleRows(vi, stride: dv, rows: b, width: dv, by: power, { b - 1 - $0 }, into: scratch.blockB)
                    let decay = power[b]
                    for c in 0..<(dk * dv) { r[c] *= decay }
                    GEMM.multiply(unchecked: .transposed(ki, stride: dk), .plain(scratch.blockB, stride: dv), into: r,
                                  ldc: dv, m: dk, n: dv, k: b, accumulate: true, threads: 1)
                }
            }
        }
    }

    func backward(_ item: Int, outputGradient dO: UnsafePointer<Float>, stride: Int,
                  into dProjected: UnsafeMutablePointer<Float>, scratch: HeadScratch) {
        let shape = layout.shape
        let (e, dk, dv, width) = (shape.embed, shape.keyDimension, shape.headDimension, shape.projectionWidth)
        let (firstRow, h) = place(item)
        let (q, k, v) = layout.qkv(item)
        let states = layout.buffers.formKept!.pointer + item * chunks * dk * dv
        let (a, dA, dQ, dK, dR) = (scratch.weights, scratch.dScores, scratch.dQ, scratch.dK, scratch.state)
        let (blockA, blockB) = (scratch.blockA, scratch.blockB)
        dR.update(repeating: 0, count: dk * dv)
        powers[h].withUnsafeBufferPointer { powers in
            let power = powers.baseAddress!
            for i in (0..<chunks).reversed() {
                let (first, b) = chunk(i)
                let (qi, ki, vi, dOi) = (q + first * dk, k + first * dk, v + first * dv, dO + first * stride)
                let previous = states + i * dk * dv
                let (last, dV) = (i + 1 == chunks, dProjected + (firstRow + first) * width + 2 * e + h * dv)
                // dV_[i] = Aᵀ dO_[i] + (K_[i] dR) ⊙ ζ
                scores(q: qi, k: ki, rows: b, head: h, into: a)
                GEMM.multiply(unchecked: .transposed(a, stride: b), .plain(dOi, stride: stride), into: dV, ldc: width,
                              m: b, n: dv, k: b, accumulate: false, threads: 1, structure: .upperA)
                if !last {
                    GEMM.multiply(unchecked: .plain(ki, stride: dk), .plain(dR, stride: dv), into: blockB, ldc: dv,
                                  m: b, n: dv, k: dk, accumulate: false, threads: 1)
                    for j in 0..<b {
                        let factor = power[b - 1 - j]
                        for c in 0..<dv { dV[j * width + c] += factor * blockB[j * dv + c] }
                    }
                }
                // dA = (dO_[i] V_[i]ᵀ) ⊙ D_b; dQ_[i] = dA K_[i] + (dO_[i] ⊙ ξ) R_{i−1}ᵀ
                GEMM.multiply(unchecked: .plain(dOi, stride: stride), .transposed(vi, stride: dv), into: dA, ldc: b,
                              m: b, n: b, k: dv, accumulate: false, threads: 1, structure: .lowerOutput)
                mask.mask(dA, length: b, head: h)
                GEMM.multiply(unchecked: .plain(dA, stride: b), .plain(ki, stride: dk), into: dQ, ldc: dk,
                              m: b, n: dk, k: b, accumulate: false, threads: 1, structure: .lowerA)
                if i > 0 {
                    scaleRows(dOi, stride: stride, rows: b, width: dv, by: power, { $0 + 1 }, into: blockA)
                    GEMM.multiply(unchecked: .plain(blockA, stride: dv), .transposed(previous, stride: dv), into: dQ,
                                  ldc: dk, m: b, n: dk, k: dv, accumulate: true, threads: 1)
                }
                // dK_[i] = dAᵀ Q_[i] + (V_[i] ⊙ ζ) dRᵀ
                GEMM.multiply(unchecked: .transposed(dA, stride: b), .plain(qi, stride: dk), into: dK, ldc: dk,
                              m: b, n: dk, k: b, accumulate: false, threads: 1, structure: .upperA)
                if !last {
                    scaleRows(vi, stride: dv, rows: b, width: dv, by: power, { b - 1 - $0 }, into: blockB)
                    GEMM.multiply(unchecked: .plain(blockB, stride: dv), .transposed(dR, stride: dv), into: dK,
                                  ldc: dk, m: b, n: dk, k: dv, accumulate: true, threads: 1)
                }
                // dR_{i−1} = γ^b dR_i + (Q_[i] ⊙ ξ)ᵀ dO_[i]
                if i > 0 {
                    scaleRows(qi, stride: dk, rows: b, width: dk, by: power, { $0 + 1 }, into: blockA)
                    let decay = power[b]
                    for c in 0..<(dk * dv) { dR[c] *= decay }
                    GEMM.multiply(unchecked: .transposed(blockA, stride: dk), .plain(dOi, stride: stride), into: dR,
                                  ldc: dv, m: dk, n: dv, k: b, accumulate: true, threads: 1)
                }
                layout.scatter(item, dQ: dQ, dK: dK, positions: first..<(first + b), into: dProjected)
            }
        }
    }
}

/// The decays of a block's heads laid out for the chunkwise form with chunks of B tokens: the
/// masks D_B and the powers γ^0 … γ^B, each by one `Decay.power` (within an ulp or so).
struct ChunkDecays {
    let chunkSize: Int
    let mask: DecayMask
    let powers: [[Float]]

    /// For chunks of `chunkSize` tokens; `previous`'s tables when they are for the same.
    init(_ decays: [Decay<Float>], chunkSize: Int, reusing previous: ChunkDecays?) {
        self.chunkSize = chunkSize
        mask = DecayMask(decays, length: chunkSize, reusing: previous?.mask)
        if let previous, previous.chunkSize == chunkSize, previous.mask.decays == decays {
            powers = previous.powers
        } else {
            powers = decays.map { decay in (0...chunkSize).map { decay.power($0) } }
        }
    }
}
