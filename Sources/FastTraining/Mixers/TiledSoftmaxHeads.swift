import FastLayers
import Foundation
import Kernels

/// One causal softmax-attention head of one sequence, tiled (FlashAttention, Dao et al. 2022, in
/// its CPU form): queries and keys in blocks of B, a block's scores B×B at a time, never T×T.
///
///     forward    per query block I, over key blocks J ≤ I, row t:
///                S = Q_I K_Jᵀ/√d_k,  m′ = max(m, max_j S_tj),
///                l ← l·e^{m−m′} + Σ_j e^{S_tj−m′},  O_t ← O_t·e^{m−m′} + Σ_j e^{S_tj−m′} V_j,  m ← m′
///                then O_t ← O_t / l and L_t = m + log l (the row's log-sum-exp) kept
///     backward   D_t = dO_t · O_t;  per query block I, over key blocks J ≤ I:
///                P = e^{S − L} again (the recomputation),  dV_J += Pᵀ dO_I,  dP = dO_I V_Jᵀ,
///                dS = P ⊙ (dP − D)/√d_k,  dQ_I += dS K_J,  dK_J += dSᵀ Q_I
///
/// The same softmax as `CausalSoftmax` (A = softmax(S) row by row over m ≤ t, its backward
/// dS = A ⊙ (dA − Σ A dA)/√d_k, since Σ_m A_tm dA_tm = dO_t · O_t): only the order of the sums
/// differs. What a head keeps is Q, K, V, its outputs O and L: T · (2d_k + 2d_v + 1) per
/// sequence and head, linear in T; a thread's scratch is two B×B blocks of scores, one of
/// outputs, and dQ, dK of the whole sequence (T·d_k each, summed over blocks before they are
/// turned back through the rotation).
struct TiledSoftmaxHeads: MixerHeads {
    typealias Vector = SIMD16<Float>
    let layout: HeadLayout
    /// B (at most T).
    let blockSize: Int
    /// 1/√d_k.
    let scale: Float

    /// Buffers for R = `rows` rows of sequences of `length` tokens: Q, K, V, O and L.
    static func activations(_ shape: MixerShape, rows: Int, length: Int) -> HeadActivations {
        HeadActivations(shape, rows: rows, length: length, keepingWeights: false, keptPerItem: length * (shape.headDimension + 1))
    }

    /// One thread's scratch: B×B scores and their gradient, a B-row block of outputs, dQ and dK
    /// (T rows each), and T + 2B row terms (D, and each query row's running maximum and sum).
    static func scratch(_ shape: MixerShape, length: Int, blockSize: Int) -> HeadScratch {
        HeadScratch(shape, .init(side: blockSize, gradientRows: length, outputRows: 0, blockRows: blockSize,
                                 rowTerms: length + 2 * blockSize))
    }

    /// 0, 1, …, 15.
    private static let lanes = Vector(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

    /// row[c] ← e^{row[c] − shift} for c < valid and 0 for valid ≤ c < count; returns the sum.
    private static func exponentiate(_ row: UnsafeMutablePointer<Float>, count: Int, valid: Int, shift: Float) -> Float {
        var sums = Vector()
        for c in stride(from: 0, to: count, by: 16) {
            let lanes = Swift.min(16, count - c)
            var s = ActivationRows.load(row, c, lanes)
            s.replace(with: -.infinity, where: Self.lanes .>= Vector(repeating: Float(valid - c)))
            let e = VectorMath.exp(s - Vector(repeating: shift))
            ActivationRows.store(e, row, c, lanes)
            sums += e
        }
        return sums.sum()
    }

    /// The blocks of B positions: first position and length.
    private func blocks(through last: Int) -> [(first: Int, rows: Int)] {
        stride(from: 0, through: last, by: blockSize).map { ($0, Swift.min(blockSize, length - $0)) }
    }

    /// S = Q_I K_Jᵀ/√d_k (bq×bk) into `s`.
    private func scores(_ qi: UnsafePointer<Float>, _ kj: UnsafePointer<Float>, rows bq: Int, columns bk: Int,
                        into s: UnsafeMutablePointer<Float>) {
        let dk = layout.shape.keyDimension
        GEMM.multiply(unchecked: .plain(qi, stride: dk), .transposed(kj, stride: dk), into: s, ldc: bk, m: bq, n: bk, k: dk,
                      accumulate: false, threads: 1)
        for i in 0..<(bq * bk) { s[i] *= scale }
    }

    func forward(_ item: Int, projected: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, stride: Int,
                 scratch: HeadScratch) {
        let (n, dk, dv) = (length, layout.shape.keyDimension, layout.shape.headDimension)
        layout.gather(item, projected: projected)
        let (q, k, v) = layout.qkv(item)
        let kept = layout.buffers.formKept!.pointer + item * n * (dv + 1)
        let (keptO, logSumExp) = (kept, kept + n * dv)
        let (s, acc, peak, total) = (scratch.weights, scratch.blockA, scratch.terms, scratch.terms + blockSize)
        for (i0, bq) in blocks(through: n - 1) {
            for r in 0..<bq { (peak[r], total[r]) = (-.infinity, 0) }
            acc.update(repeating: 0, count: bq * dv)
            for (j0, bk) in blocks(through: i0 + bq - 1) {
                scores(q + i0 * dk, k + j0 * dk, rows: bq, columns: bk, into: s)
                for r in 0..<bq {
                    let row = s + r * bk
                    let valid = Swift.min(bk, i0 + r - j0 + 1)
                    var top = peak[r]
                    for c in 0..<valid { top = Swift.max(top, row[c]) }
                    let correction = peak[r] == -.infinity ? 0 : Foundation.exp(peak[r] - top)
                    total[r] = total[r] * correction + Self.exponentiate(row, count: bk, valid: valid, shift: top)
                    if correction != 1 { for c in 0..<dv { acc[r * dv + c] *= correction } }
                    peak[r] = top
                }
                GEMM.multiply(unchecked: .plain(s, stride: bk), .plain(v + j0 * dv, stride: dv), into: acc, ldc: dv,
                              m: bq, n: dv, k: bk, accumulate: true, threads: 1)
            }
            for r in 0..<bq {
                let t = i0 + r
                let (o, kept) = (out + t * stride, keptO + t * dv)
                let inverse = 1 / total[r]
                for c in 0..<dv {
                    o[c] = acc[r * dv + c] * inverse
                    kept[c] = o[c]
                }
                logSumExp[t] = peak[r] + Foundation.log(total[r])
            }
        }
    }

    func backward(_ item: Int, outputGradient dO: UnsafePointer<Float>, stride: Int,
                  into dProjected: UnsafeMutablePointer<Float>, scratch: HeadScratch) {
        let shape = layout.shape
        let (n, e, dk, dv, width) = (length, shape.embed, shape.keyDimension, shape.headDimension, shape.projectionWidth)
        let (firstRow, h) = place(item)
        let (q, k, v) = layout.qkv(item)
        let kept = layout.buffers.formKept!.pointer + item * n * (dv + 1)
        let (keptO, logSumExp) = (kept, kept + n * dv)
        let (p, dS, dQ, dK, inner) = (scratch.weights, scratch.dScores, scratch.dQ, scratch.dK, scratch.terms)
        let dV = dProjected + firstRow * width + 2 * e + h * dv
        dQ.update(repeating: 0, count: n * dk)
        dK.update(repeating: 0, count: n * dk)
        for t in 0..<n {
            var sum: Float = 0
            for c in 0..<dv {
                sum += dO[t * stride + c] * keptO[t * dv + c]
                dV[t * width + c] = 0
            }
            inner[t] = sum
        }
        for (i0, bq) in blocks(through: n - 1) {
            let dOi = dO + i0 * stride
            for (j0, bk) in blocks(through: i0 + bq - 1) {
                scores(q + i0 * dk, k + j0 * dk, rows: bq, columns: bk, into: p)
                for r in 0..<bq {
                    let valid = Swift.min(bk, i0 + r - j0 + 1)
                    _ = Self.exponentiate(p + r * bk, count: bk, valid: valid, shift: logSumExp[i0 + r])
                }
                GEMM.multiply(unchecked: .transposed(p, stride: bk), .plain(dOi, stride: stride), into: dV + j0 * width,
                              ldc: width, m: bk, n: dv, k: bq, accumulate: true, threads: 1)
                GEMM.multiply(unchecked: .plain(dOi, stride: stride), .transposed(v + j0 * dv, stride: dv), into: dS, ldc: bk,
                              m: bq, n: bk, k: dv, accumulate: false, threads: 1)
                for r in 0..<bq {
                    let d = inner[i0 + r]
                    for c in 0..<bk { dS[r * bk + c] = scale * p[r * bk + c] * (dS[r * bk + c] - d) }
                }
                GEMM.multiply(unchecked: .plain(dS, stride: bk), .plain(k + j0 * dk, stride: dk), into: dQ + i0 * dk, ldc: dk,
                              m: bq, n: dk, k: bk, accumulate: true, threads: 1)
                GEMM.multiply(unchecked: .transposed(dS, stride: bk), .plain(q + i0 * dk, stride: dk), into: dK + j0 * dk,
                              ldc: dk, m: bk, n: dk, k: bq, accumulate: true, threads: 1)
            }
        }
        layout.scatter(item, dQ: dQ, dK: dK, positions: 0..<n, into: dProjected)
    }
}
