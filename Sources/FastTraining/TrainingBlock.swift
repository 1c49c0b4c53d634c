import Layers
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

    /// The block's weights laid out, in the buffers of `previous` (a block of the same shape,
    /// whose weights are no longer read) when given.
    init(_ block: RetNetBlock<Float>, reusing previous: TrainingBlock? = nil) {
        let r = block.retention
        retentionNorm = block.retentionLayerNorm
        finalNorm = block.finalLayerNorm
        headNorm = r.headNorm
        projections = .reusing(previous?.projections,
                               concatenating: [r.qProj.storage, r.kProj.storage, r.vProj.storage, r.gProj.storage])
        output = .reusing(previous?.output, concatenating: [r.outProj.storage])
        (expand, contract, activation, gated, hidden) = feedForwardLayout(block.ffn, reusing: previous)
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
    /// HeadNorm(heads) and swish(G), R×V each, and their product swish(G) ⊙ HeadNorm(heads), the
    /// input of W_O: the backward pass reads all three.
    let normalised: FloatBuffer, swish: FloatBuffer, gated: FloatBuffer
    /// Per sequence b and head i, at (b·h + i)·T²: its decay-masked scores A = Q Kᵀ ⊙ D (T×T),
    /// kept for sequences short enough that they take no more room than Q and V (T ≤ d_k + d_v);
    /// nil for longer ones, whose backward pass computes A again.
    let scores: FloatBuffer?
    /// Y = MSR(Norm₁(X)) + X and what the FFN half keeps.
    let feedForward: FeedForwardActivations

    /// Whether sequences of `length` tokens keep their scores (`scores`).
    static func keepsScores(_ block: TrainingBlock, length: Int) -> Bool {
        length <= block.keyDimension + block.headDimension
    }

    /// Buffers for R = B·T rows, sequences of T = `length` tokens.
    init(_ block: TrainingBlock, rows: Int, length: Int) {
        scores = Self.keepsScores(block, length: length) ? FloatBuffer(rows * block.heads * length) : nil
        normed = FloatBuffer(rows * block.embed)
        projected = FloatBuffer(rows * block.projectionWidth)
        q = FloatBuffer(rows * block.embed)
        k = FloatBuffer(rows * block.embed)
        v = FloatBuffer(rows * block.value)
        retention = FloatBuffer(rows * block.value)
        normalised = FloatBuffer(rows * block.value)
        swish = FloatBuffer(rows * block.value)
        gated = FloatBuffer(rows * block.value)
        feedForward = FeedForwardActivations(block, rows: rows)
    }
}
