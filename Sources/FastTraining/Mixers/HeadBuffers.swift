import FastLayers

/// What the heads of one block keep for R = B·T rows: per item (b·h + i) its rotated Q and its
/// scaled, rotated K (T×d_k each) and its V (T×d_v), at item·T·d; the parallel form's weights A
/// (T×T, at item·T²) when sequences are short enough to keep them, else nil; and what a form keeps
/// of its own (`formKept`, the same number of floats per item, else nil): the chunkwise form's
/// states R_{i−1} at the start of each chunk (⌈T/B⌉ · d_k×d_v per item), the tiled softmax's
/// outputs and each row's log-sum-exp (T·d_v + T per item).
final class HeadActivations {
    let q: FloatBuffer, k: FloatBuffer, v: FloatBuffer
    let weights: FloatBuffer?
    let formKept: FloatBuffer?

    /// Whether the parallel form keeps the weights of sequences of `length` tokens: T ≤ d_k + d_v,
    /// where its T² floats per head and sequence take no more room than Q and V.
    static func keepsWeights(_ shape: MixerShape, length: Int) -> Bool {
        length <= shape.keyDimension + shape.headDimension
    }

    /// Buffers for R = `rows` rows of sequences of `length` tokens, the weights when
    /// `keepingWeights`, and `keptPerItem` floats of the form's own per item.
    init(_ shape: MixerShape, rows: Int, length: Int, keepingWeights: Bool, keptPerItem: Int = 0) {
        let items = rows / length * shape.heads
        q = FloatBuffer(rows * shape.embed)
        k = FloatBuffer(rows * shape.embed)
        v = FloatBuffer(rows * shape.value)
        weights = keepingWeights ? FloatBuffer(items * length * length) : nil
        formKept = keptPerItem > 0 ? FloatBuffer(items * keptPerItem) : nil
    }

    /// Every float these buffers hold.
    var floats: Int { q.count + k.count + v.count + (weights?.count ?? 0) + (formKept?.count ?? 0) }
}

/// One thread's scratch for the items it runs, in the sizes its form asks for (`Sizes`): weights A
/// (when they are not kept) and dA = dS (side² each, side the T of the parallel form or the block
/// of the chunkwise and tiled ones), dQ and dK (gradient rows × d_k each), for a mixer with its
/// own per-head stage (retention's norm and gate) dO (T×d_v) and one row (d_v); for a form that
/// works block by block, two blocks of rows × max(d_k, d_v), a state, and a row of terms.
final class HeadScratch {
    /// Sizes in units of rows: `side` for the scores, `gradientRows` for dQ and dK, `outputRows`
    /// for dO, `blockRows` for each of the two blocks; `stateFloats` and `rowTerms` in floats.
    struct Sizes {
        var side: Int, gradientRows: Int, outputRows: Int, blockRows = 0, stateFloats = 0, rowTerms = 0
    }

    private let storage: FloatBuffer
    let weights: UnsafeMutablePointer<Float>, dScores: UnsafeMutablePointer<Float>
    let dQ: UnsafeMutablePointer<Float>, dK: UnsafeMutablePointer<Float>
    let dO: UnsafeMutablePointer<Float>, row: UnsafeMutablePointer<Float>
    let blockA: UnsafeMutablePointer<Float>, blockB: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>
    let terms: UnsafeMutablePointer<Float>

    init(_ shape: MixerShape, _ sizes: Sizes) {
        let (dk, dv, s) = (shape.keyDimension, shape.headDimension, sizes.side)
        let block = sizes.blockRows * Swift.max(dk, dv)
        storage = FloatBuffer(2 * s * s + 2 * sizes.gradientRows * dk + sizes.outputRows * dv + dv + 2 * block
                              + sizes.stateFloats + sizes.rowTerms)
        weights = storage.pointer
        dScores = weights + s * s
        dQ = dScores + s * s
        dK = dQ + sizes.gradientRows * dk
        dO = dK + sizes.gradientRows * dk
        row = dO + sizes.outputRows * dv
        blockA = row + dv
        blockB = blockA + block
        state = blockB + block
        terms = state + sizes.stateFloats
    }

    /// Every float this scratch holds.
    var floats: Int { storage.count }
}
