import FastLayers
import Kernels

/// One causal head of one sequence in the parallel form, as GEMMs on T×T matrices, for any score
/// map (`DecayMask` for retention, `CausalSoftmax` for attention): with S = Q Kᵀ and A = map(S),
///
///     forward    O = A V
///     backward   dV = Aᵀ dO,  dA = dO Vᵀ,  dS = map′ᵀ(dA),  dQ = dS K,  dK = dSᵀ Q
///                then the rotation turned back and K's scale on dQ and dK
///
/// (`ParallelRetention.backward`, `CausalAttention.softmaxBackward`, chapter 10). A and dS are zero
/// above the diagonal, so each product leaves out what that makes zero (`GEMM.Structure`): the
/// scores' tiles above the diagonal, whose entries the map sets to 0 without reading them, and the
/// terms of A V, Aᵀ dO, dS K and dSᵀ Q that multiply those zeros — about a third of the heads'
/// multiply–adds at T = 64, half as T grows. Q, K and V are
/// kept (`HeadLayout`); so is A for short sequences (`HeadActivations.keepsWeights`). For longer
/// ones A is computed again in the backward pass, one T×T×d_k product, rather than kept: it would
/// be the largest activation at long contexts. The scratch still holds two T×T matrices per
/// thread: the parallel form's working memory grows as T².
struct CausalHeads<Scores: ScoreMap>: MixerHeads {
    let scores: Scores
    let layout: HeadLayout

    init(scores: Scores, shape: MixerShape, keyScale: Float, length: Int, rotation: RotationTable, buffers: HeadActivations) {
        self.scores = scores
        layout = HeadLayout(shape: shape, keyScale: keyScale, length: length, rotation: rotation, buffers: buffers)
    }

    /// Buffers for R = `rows` rows of sequences of `length` tokens: Q, K, V, and A when short.
    static func activations(_ shape: MixerShape, rows: Int, length: Int) -> HeadActivations {
        HeadActivations(shape, rows: rows, length: length, keepingWeights: HeadActivations.keepsWeights(shape, length: length))
    }

    /// One thread's scratch: T×T scores and their gradient.
    static func scratch(_ shape: MixerShape, length: Int) -> HeadScratch {
        HeadScratch(shape, .init(side: length, gradientRows: length, outputRows: length))
    }

    /// A = map(Q Kᵀ) (T×T) for head `head` from its Q and K.
    private func weights(q: UnsafePointer<Float>, k: UnsafePointer<Float>, head: Int, into a: UnsafeMutablePointer<Float>) {
        let (n, dk) = (length, layout.shape.keyDimension)
        GEMM.multiply(unchecked: .plain(q, stride: dk), .transposed(k, stride: dk), into: a, ldc: n, m: n, n: n, k: dk,
                      accumulate: false, threads: 1, structure: .lowerOutput)
        scores.forward(a, length: n, head: head)
    }

    func forward(_ item: Int, projected: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, stride: Int,
                 scratch: HeadScratch) {
        let (n, dv) = (length, layout.shape.headDimension)
        let h = place(item).head
        layout.gather(item, projected: projected)
        let (q, k, values) = layout.qkv(item)
        let a = layout.buffers.weights.map { $0.pointer + item * n * n } ?? scratch.weights
        weights(q: q, k: k, head: h, into: a)
        GEMM.multiply(unchecked: .plain(a, stride: n), .plain(values, stride: dv), into: out, ldc: stride, m: n, n: dv,
                      k: n, accumulate: false, threads: 1, structure: .lowerA)
    }

    func backward(_ item: Int, outputGradient dO: UnsafePointer<Float>, stride: Int,
                  into dProjected: UnsafeMutablePointer<Float>, scratch: HeadScratch) {
        let shape = layout.shape
        let (n, e, dk, dv, width) = (length, shape.embed, shape.keyDimension, shape.headDimension, shape.projectionWidth)
        let (first, h) = place(item)
        let (q, k, values) = layout.qkv(item)
        let a: UnsafeMutablePointer<Float>
        if let kept = layout.buffers.weights {
            a = kept.pointer + item * n * n
        } else {
            a = scratch.weights
            weights(q: q, k: k, head: h, into: a)
        }
        let (dS, dQ, dK) = (scratch.dScores, scratch.dQ, scratch.dK)
        GEMM.multiply(unchecked: .transposed(a, stride: n), .plain(dO, stride: stride),
                      into: dProjected + first * width + 2 * e + h * dv, ldc: width, m: n, n: dv, k: n,
                      accumulate: false, threads: 1, structure: .upperA)
        GEMM.multiply(unchecked: .plain(dO, stride: stride), .transposed(values, stride: dv), into: dS, ldc: n,
                      m: n, n: n, k: dv, accumulate: false, threads: 1, structure: .lowerOutput)
        scores.backward(dS, weights: a, length: n, head: h)
        GEMM.multiply(unchecked: .plain(dS, stride: n), .plain(k, stride: dk), into: dQ, ldc: dk,
                      m: n, n: dk, k: n, accumulate: false, threads: 1, structure: .lowerA)
        GEMM.multiply(unchecked: .transposed(dS, stride: n), .plain(q, stride: dk), into: dK, ldc: dk,
                      m: n, n: dk, k: n, accumulate: false, threads: 1, structure: .upperA)
        layout.scatter(item, dQ: dQ, dK: dK, positions: 0..<n, into: dProjected)
    }
}
