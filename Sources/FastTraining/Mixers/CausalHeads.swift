import FastLayers
import Kernels

/// One causal head of one sequence, as GEMMs on T×T matrices (T is a training context, tens to
/// hundreds of tokens), for any score map (`DecayMask` for retention, `CausalSoftmax` for
/// attention): with S = Q Kᵀ and A = map(S),
///
///     forward    O = A V
///     backward   dV = Aᵀ dO,  dA = dO Vᵀ,  dS = map′ᵀ(dA),  dQ = dS K,  dK = dSᵀ Q
///                then the rotation turned back and K's scale on dQ and dK
///
/// (`ParallelRetention.backward`, `CausalAttention.softmaxBackward`, chapter 10). Q, K (times
/// `keyScale`: d_k^{-1/2} for retention, 1 for attention, whose map scales) and V are gathered
/// from the projected rows and rotated, and kept; so is A for short sequences (T ≤ d_k + d_v,
/// where its T² floats per head and sequence take no more room than Q and V). For longer ones A
/// is computed again in the backward pass, one T×T×d_k product, rather than kept: it would be
/// the largest activation at long contexts.
///
/// Each (sequence, head) pair is one item (b·h + i), writing only its own rows and columns:
/// items are split between threads, each thread with its own `HeadScratch`.
struct CausalHeads<Scores: ScoreMap> {
    let scores: Scores
    let shape: MixerShape
    let keyScale: Float
    /// T.
    let length: Int
    let rotation: RotationTable
    let buffers: HeadActivations

    /// Offsets of item `item` = b·h + i: its first row in the batch, and its head.
    func place(_ item: Int) -> (firstRow: Int, head: Int) {
        (item / shape.heads * length, item % shape.heads)
    }

    /// The item's Q, K (scaled) and V (T×d_k, T×d_k, T×d_v) in the kept buffers.
    func qkv(_ item: Int) -> (q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>) {
        let (n, dk, dv) = (length, shape.keyDimension, shape.headDimension)
        return (buffers.q.pointer + item * n * dk, buffers.k.pointer + item * n * dk, buffers.v.pointer + item * n * dv)
    }

    /// A = map(Q Kᵀ) (T×T) for head `head` from its Q and K.
    private func weights(q: UnsafePointer<Float>, k: UnsafePointer<Float>, head: Int, into a: UnsafeMutablePointer<Float>) {
        let (n, dk) = (length, shape.keyDimension)
        GEMM.multiply(unchecked: .plain(q, stride: dk), .transposed(k, stride: dk), into: a, ldc: n, m: n, n: n, k: dk,
                      accumulate: false, threads: 1)
        scores.forward(a, length: n, head: head)
    }

    /// The forward pass of item `item`: its Q, K (scaled), V gathered from `projected` (R ×
    /// projectionWidth) and rotated, its weights, and O = A V into `out` (T rows `stride` apart).
    func forward(_ item: Int, projected: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, stride: Int,
                 scratch: HeadScratch) {
        let (n, e, dk, dv, width) = (length, shape.embed, shape.keyDimension, shape.headDimension, shape.projectionWidth)
        let (first, h) = place(item)
        let (q, k, values) = qkv(item)
        for t in 0..<n {
            let row = projected + (first + t) * width
            let (qt, kt) = (q + t * dk, k + t * dk)
            qt.update(from: row + h * dk, count: dk)
            for c in 0..<dk { kt[c] = keyScale * row[e + h * dk + c] }
            (values + t * dv).update(from: row + 2 * e + h * dv, count: dv)
            rotation.rotate(qt, row: t)
            rotation.rotate(kt, row: t)
        }
        let a = buffers.weights.map { $0.pointer + item * n * n } ?? scratch.weights
        weights(q: q, k: k, head: h, into: a)
        GEMM.multiply(unchecked: .plain(a, stride: n), .plain(values, stride: dv), into: out, ldc: stride, m: n, n: dv,
                      k: n, accumulate: false, threads: 1)
    }

    /// The backward pass of item `item`, given dO (T rows `stride` apart): dQ, dK (through the
    /// rotation and K's scale) and dV into the item's columns of `dProjected` (R × projectionWidth).
    func backward(_ item: Int, outputGradient dO: UnsafePointer<Float>, stride: Int,
                  into dProjected: UnsafeMutablePointer<Float>, scratch: HeadScratch) {
        let (n, e, dk, dv, width) = (length, shape.embed, shape.keyDimension, shape.headDimension, shape.projectionWidth)
        let (first, h) = place(item)
        let (q, k, values) = qkv(item)
        let a: UnsafeMutablePointer<Float>
        if let kept = buffers.weights {
            a = kept.pointer + item * n * n
        } else {
            a = scratch.weights
            weights(q: q, k: k, head: h, into: a)
        }
        let (dS, dQ, dK) = (scratch.dScores, scratch.dQ, scratch.dK)
        GEMM.multiply(unchecked: .transposed(a, stride: n), .plain(dO, stride: stride),
                      into: dProjected + first * width + 2 * e + h * dv, ldc: width, m: n, n: dv, k: n,
                      accumulate: false, threads: 1)
        GEMM.multiply(unchecked: .plain(dO, stride: stride), .transposed(values, stride: dv), into: dS, ldc: n,
                      m: n, n: n, k: dv, accumulate: false, threads: 1)
        scores.backward(dS, weights: a, length: n, head: h)
        GEMM.multiply(unchecked: .plain(dS, stride: n), .plain(k, stride: dk), into: dQ, ldc: dk,
                      m: n, n: dk, k: n, accumulate: false, threads: 1)
        GEMM.multiply(unchecked: .transposed(dS, stride: n), .plain(q, stride: dk), into: dK, ldc: dk,
                      m: n, n: dk, k: n, accumulate: false, threads: 1)
        for t in 0..<n {
            let row = dProjected + (first + t) * width
            let (dq, dkRow) = (dQ + t * dk, dK + t * dk)
            rotation.rotateBack(dq, row: t)
            rotation.rotateBack(dkRow, row: t)
            (row + h * dk).update(from: dq, count: dk)
            for c in 0..<dk { row[e + h * dk + c] = keyScale * dkRow[c] }
        }
    }
}

/// What the heads of one block keep for R = B·T rows: per item (b·h + i) its rotated Q and its
/// scaled, rotated K (T×d_k each) and its V (T×d_v), at item·T·d; and its weights A (T×T, at
/// item·T²) when sequences are short enough to keep them (`keepsWeights`), else nil.
final class HeadActivations {
    let q: FloatBuffer, k: FloatBuffer, v: FloatBuffer
    let weights: FloatBuffer?

    /// Whether sequences of `length` tokens keep their weights: T ≤ d_k + d_v.
    static func keepsWeights(_ shape: MixerShape, length: Int) -> Bool {
        length <= shape.keyDimension + shape.headDimension
    }

    init(_ shape: MixerShape, rows: Int, length: Int) {
        q = FloatBuffer(rows * shape.embed)
        k = FloatBuffer(rows * shape.embed)
        v = FloatBuffer(rows * shape.value)
        weights = Self.keepsWeights(shape, length: length) ? FloatBuffer(rows * shape.heads * length) : nil
    }
}

/// One thread's scratch for the items it runs: a T×T matrix of weights (when they are not
/// kept), dA = dS (T×T), dQ and dK (T×d_k each), and for a mixer with its own per-head stage
/// (retention's norm and gate) dO (T×d_v) and one row (d_v).
final class HeadScratch {
    private let storage: FloatBuffer
    let weights: UnsafeMutablePointer<Float>, dScores: UnsafeMutablePointer<Float>
    let dQ: UnsafeMutablePointer<Float>, dK: UnsafeMutablePointer<Float>
    let dO: UnsafeMutablePointer<Float>, row: UnsafeMutablePointer<Float>

    init(_ shape: MixerShape, length n: Int) {
        let (dk, dv) = (shape.keyDimension, shape.headDimension)
        storage = FloatBuffer(2 * n * n + 2 * n * dk + n * dv + dv)
        weights = storage.pointer
        dScores = weights + n * n
        dQ = dScores + n * n
        dK = dQ + n * dk
        dO = dK + n * dk
        row = dO + n * dv
    }
}
