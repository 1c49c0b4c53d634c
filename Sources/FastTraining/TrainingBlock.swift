import Matrices
import MultiScaleRetention
import Retention
import RetNetModel

/// One block's weights for a training step, laid out for the GEMMs (each [out, in], as stored):
///
///     [W_Q; W_K; W_V; W_G]   (2E + 2V)×E   one product for the four projections, and one for
///                                          their input gradient and one for their weights'
///     W_O                    E×V
///     [fc1; gate] or fc1     2F×E or F×E
///     fc2                    E×F
final class TrainingBlock {
    let retentionNorm: BlockNorm<Float>
    let finalNorm: BlockNorm<Float>
    let headNorm: HeadNorm<Float>
    let projections: FloatBuffer
    let output: FloatBuffer
    let expand: FloatBuffer
    let contract: FloatBuffer
    let activation: Activation
    /// Whether the FFN is torchscale's GLU (fc1 and gate) rather than the paper's plain FFN.
    let gated: Bool
    let decays: [Decay<Float>]
    let keyScale: Float
    /// E, V, h, d_k, d_v, F.
    let embed: Int, value: Int, heads: Int, keyDimension: Int, headDimension: Int, hidden: Int

    init(_ block: RetNetBlock<Float>) {
        let r = block.retention
        retentionNorm = block.retentionLayerNorm
        finalNorm = block.finalLayerNorm
        headNorm = r.headNorm
        projections = FloatBuffer(concatenating: [r.qProj.storage, r.kProj.storage, r.vProj.storage, r.gProj.storage])
        output = FloatBuffer(concatenating: [r.outProj.storage])
        (expand, contract, activation, gated, hidden) = feedForwardLayout(block.ffn)
        decays = r.decays
        keyScale = r.keyScale
        (embed, value, heads, keyDimension, headDimension) = (r.embedDimension, r.valueDimension, r.heads, r.keyDimension,
                                                               r.headDimension)
    }

    /// 2E + 2V: the width of [Q K V G].
    var projectionWidth: Int { 2 * embed + 2 * value }
}

extension TrainingBlock: MixerHalf, FeedForwardHalf {}

/// What a block's forward pass keeps for its backward pass, for R = B·T rows (each buffer
/// rows×width, row-major, unless said otherwise). The block's input X is the previous block's
/// output, kept by the caller.
final class BlockActivations {
    /// Norm₁(X), R×E.
    let normed: FloatBuffer
    /// [Q K V G] = Norm₁(X) [W_Q W_K W_V W_G]ᵀ as computed, before scaling and rotation, R×(2E + 2V).
    let projected: FloatBuffer
    /// Per sequence b and head i, at (b·h + i)·T·d: its rotated Q, its scaled and rotated K
    /// (T×d_k each), its V and its retention outputs (T×d_v each).
    let q: FloatBuffer, k: FloatBuffer, v: FloatBuffer, retention: FloatBuffer
    /// swish(G) ⊙ HeadNorm(heads), R×V: the input of W_O.
    let gated: FloatBuffer
    /// Y = MSR(Norm₁(X)) + X and what the FFN half keeps.
    let feedForward: FeedForwardActivations

    init(_ block: TrainingBlock, rows: Int) {
        normed = FloatBuffer(rows * block.embed)
        projected = FloatBuffer(rows * block.projectionWidth)
        q = FloatBuffer(rows * block.embed)
        k = FloatBuffer(rows * block.embed)
        v = FloatBuffer(rows * block.value)
        retention = FloatBuffer(rows * block.value)
        gated = FloatBuffer(rows * block.value)
        feedForward = FeedForwardActivations(block, rows: rows)
    }
}
