import FastRetNet
import Kernels
import Layers
import Matrices
import Transformer

/// One Transformer block's weights for a training step, laid out for the GEMMs (each [out, in],
/// as stored):
///
///     [W_Q; W_K; W_V]        (2E + V)×E   one product for the three projections, and one for
///                                         their input gradient and one for their weights'
///     W_O                    E×V
///     [fc1; gate] or fc1     2F×E or F×E  (`FeedForwardHalf`, shared with the RetNet's block)
///     fc2                    E×F
final class TransformerTrainingBlock: MixerHalf, FeedForwardHalf {
    let attentionNorm: BlockNorm<Float>
    let finalNorm: BlockNorm<Float>
    let projections: FloatBuffer
    let output: FloatBuffer
    let expand: FloatBuffer
    let contract: FloatBuffer
    let activation: Activation
    let gated: Bool
    /// E, V, h, d_k, d_v, F.
    let embed: Int, value: Int, heads: Int, keyDimension: Int, headDimension: Int, hidden: Int

    init(_ block: TransformerBlock<Float>) {
        let a = block.attention
        attentionNorm = block.attentionLayerNorm
        finalNorm = block.finalLayerNorm
        projections = FloatBuffer(concatenating: [a.qProj.storage, a.kProj.storage, a.vProj.storage])
        output = FloatBuffer(concatenating: [a.outProj.storage])
        (expand, contract, activation, gated, hidden) = feedForwardLayout(block.ffn, reusing: nil as TransformerTrainingBlock?)
        (embed, value, heads, keyDimension, headDimension) = (a.embedDimension, a.valueDimension, a.heads, a.keyDimension,
                                                               a.headDimension)
    }

    /// 2E + V: the width of [Q K V].
    var projectionWidth: Int { 2 * embed + value }
}

/// What a Transformer block's forward pass keeps for its backward pass, for R = B·T rows (each
/// buffer rows×width, row-major, unless said otherwise). The block's input X is the previous
/// block's output, kept by the caller.
final class AttentionActivations {
    /// Norm₁(X), R×E.
    let normed: FloatBuffer
    /// [Q K V] = Norm₁(X) [W_Q W_K W_V]ᵀ as computed, before rotation, R×(2E + V).
    let projected: FloatBuffer
    /// Per sequence b and head i, at (b·h + i)·T·d: its rotated Q and K (T×d_k each) and its V
    /// (T×d_v).
    let q: FloatBuffer, k: FloatBuffer, v: FloatBuffer
    /// [head_1 … head_h], R×V: the input of W_O.
    let attended: FloatBuffer
    /// Y = Attn(Norm₁(X)) + X and what the FFN half keeps.
    let feedForward: FeedForwardActivations

    init(_ block: TransformerTrainingBlock, rows: Int) {
        normed = FloatBuffer(rows * block.embed)
        projected = FloatBuffer(rows * block.projectionWidth)
        q = FloatBuffer(rows * block.embed)
        k = FloatBuffer(rows * block.embed)
        v = FloatBuffer(rows * block.value)
        attended = FloatBuffer(rows * block.value)
        feedForward = FeedForwardActivations(block, rows: rows)
    }
}

extension TransformerTrainingBlock {
    /// X′ = Block(X) for the R rows at `x` into `out`, keeping in `kept` what the backward pass reads:
    ///
    ///     Norm₁(X) → [Q K V] (one GEMM) → heads (pairs of sequence and head split between threads)
    ///     Y = X + [head_1 … head_h] W_Oᵀ          (the GEMM adds into a copy of X)
    ///     X′ = Y + FFN(Norm₂(Y))
    func forward(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, keeping kept: AttentionActivations,
                 heads attention: SoftmaxHeads, rows: Int, threads: Int) {
        mixerForward(x, norm: attentionNorm, normed: kept.normed, projected: kept.projected, mixed: kept.attended,
                     into: kept.feedForward.y, rows: rows, items: rows / attention.length * heads, threads: threads) { items in
            attention.forward(items)
        }
        feedForward(kept.feedForward, into: out, rows: rows, threads: threads)
    }

    /// The backward pass of `forward`: given dX′ in `scratch.dX`, leaves dX there and returns
    /// ∂L/∂ every weight of the block (`TransformerBlock.backward`'s chain, each stage over all rows):
    ///
    ///     dY = dX′ + Norm₂ᵀ(FFNᵀ(dX′))                                  (`FeedForwardHalf`)
    ///     dC = dY W_O,  dW_O = dYᵀ C,  heads (`SoftmaxHeads.backward`)
    ///     dNorm₁ = d[Q K V] [W_Q; W_K; W_V],  d[W_Q; W_K; W_V] = d[Q K V]ᵀ Norm₁(X)
    ///     dX = dY + Norm₁ᵀ(dNorm₁)
    func backward(_ x: UnsafePointer<Float>, kept: AttentionActivations, heads attention: SoftmaxHeads, rows: Int,
                  scratch s: BackwardScratch, threads: Int) -> TransformerBlockGradients<Float> {
        let (e, v) = (embed, value)
        let secondHalf = feedForwardBackward(kept.feedForward, rows: rows, scratch: s, threads: threads)
        let (dProjections, dOutput) = mixerBackward(normed: kept.normed, mixed: kept.attended, rows: rows,
                                                    items: rows / attention.length * heads, scratch: s, threads: threads) { items in
            attention.backward(items, outputGradient: s.dGated.pointer, into: s.dProjected.pointer)
        }
        let attentionNormGradients = inputNormBackward(attentionNorm, x, rows: rows, scratch: s, threads: threads)
        let attentionGradients = AttentionGradients(
            qProj: dProjections.matrix(firstRow: 0, rows: e, columns: e),
            kProj: dProjections.matrix(firstRow: e, rows: e, columns: e),
            vProj: dProjections.matrix(firstRow: 2 * e, rows: v, columns: e),
            outProj: dOutput.matrix(firstRow: 0, rows: e, columns: v))
        return TransformerBlockGradients(attentionLayerNorm: attentionNormGradients, attention: attentionGradients,
                                         finalLayerNorm: secondHalf.norm, ffn: secondHalf.ffn)
    }
}
