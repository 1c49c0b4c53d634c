import Kernels
import Layers
import Matrices
import MultiScaleRetention
import RetNetModel

/// The gradients flowing back through the blocks, for R rows, shared by every block (all have
/// one configuration's widths): rows×width each.
final class BackwardScratch {
    /// ∂L/∂ the residual stream: a block's output gradient on entry, its input gradient on return.
    let dX: FloatBuffer
    /// ∂L/∂Y (R×E), ∂L/∂Norm(·) (R×E).
    let dY: FloatBuffer, dNormed: FloatBuffer
    /// ∂L/∂(act(fc1 ·) [⊙ gate ·]) (R×F), ∂L/∂ fc1 (and gate) outputs (R×2F or R×F).
    let dHidden: FloatBuffer, dExpanded: FloatBuffer
    /// ∂L/∂(swish(G) ⊙ HeadNorm(heads)) (R×V), ∂L/∂[Q K V G] (R×(2E + 2V)).
    let dGated: FloatBuffer, dProjected: FloatBuffer
    /// Each row's terms of a norm's weight and bias gradients (R×max(E, V)), summed afterwards.
    let weightTerms: FloatBuffer, biasTerms: FloatBuffer
    /// One block's weight gradients, as the GEMMs write them, before they are copied out: the
    /// stacked projections' (projectionWidth×E), W_O's (E×V), [fc1; gate]'s or fc1's
    /// (expandWidth×E), fc2's (E×F).
    let dProjections: FloatBuffer, dOutput: FloatBuffer, dExpand: FloatBuffer, dContract: FloatBuffer

    /// Buffers for R rows of a block of widths E, V, F, fc1 (and gate) outputs, and projections.
    init(rows: Int, embed e: Int, value v: Int, hidden: Int, expandWidth: Int, projectionWidth: Int) {
        dX = FloatBuffer(rows * e)
        dY = FloatBuffer(rows * e)
        dNormed = FloatBuffer(rows * e)
        dHidden = FloatBuffer(rows * hidden)
        dExpanded = FloatBuffer(rows * expandWidth)
        dGated = FloatBuffer(rows * v)
        dProjected = FloatBuffer(rows * projectionWidth)
        weightTerms = FloatBuffer(rows * Swift.max(e, v))
        biasTerms = FloatBuffer(rows * v)
        dProjections = FloatBuffer(projectionWidth * e)
        dOutput = FloatBuffer(e * v)
        dExpand = FloatBuffer(expandWidth * e)
        dContract = FloatBuffer(e * hidden)
    }

    convenience init(_ block: TrainingBlock, rows: Int) {
        self.init(rows: rows, embed: block.embed, value: block.value, hidden: block.hidden, expandWidth: block.expandWidth,
                  projectionWidth: block.projectionWidth)
    }
}

extension TrainingBlock {
    /// The backward pass of `forward`: given dX′ in `scratch.dX`, leaves dX there and returns
    /// ∂L/∂ every weight of the block (`RetNetBlock.backward`'s chain, each stage over all rows):
    ///
    ///     dP = dX′ fc2 (GEMM),  d fc2 = dX′ᵀ P (GEMM),  dH [dGt] row by row,
    ///     dNorm₂ = d[H Gt] [fc1; gate] (GEMM),  d[fc1; gate] = d[H Gt]ᵀ Norm₂(Y) (GEMM)
    ///     dY = dX′ + Norm₂ᵀ(dNorm₂)
    ///     dP = dY W_O,  dW_O = dYᵀ (swish(G) ⊙ HeadNorm(heads)),  heads (`HeadRetention.backward`)
    ///     dNorm₁ = d[Q K V G] [W_Q; W_K; W_V; W_G],  d[W_Q; …] = d[Q K V G]ᵀ Norm₁(X)
    ///     dX = dY + Norm₁ᵀ(dNorm₁)
    ///
    /// `x` is the block's input, `kept` what its forward pass kept.
    func backward(_ x: UnsafePointer<Float>, kept: BlockActivations, heads retention: HeadRetention, rows: Int,
                  scratch s: BackwardScratch, threads: Int) -> RetNetBlockGradients<Float> {
        let (e, v) = (embed, value)
        let secondHalf = feedForwardBackward(kept.feedForward, rows: rows, scratch: s, threads: threads)
        // Multi-scale retention.
        let (dProjections, dOutput) = mixerBackward(normed: kept.normed, mixed: kept.gated, rows: rows,
                                                    items: rows / retention.length * heads, scratch: s, threads: threads) { items in
            retention.backward(items, outputGradient: s.dGated.pointer, into: s.dProjected.pointer,
                               weightTerms: s.weightTerms.pointer, biasTerms: s.biasTerms.pointer)
        }
        let headNormGradients: NormGradients<Float> = switch headNorm {
        case .groupNorm: NormGradients(weight: NormRows.columnSums(s.weightTerms.pointer, rows: rows, width: v),
                                       bias: NormRows.columnSums(s.biasTerms.pointer, rows: rows, width: v))
        case .rms: NormGradients(weight: [], bias: [])
        }
        let retentionNormGradients = inputNormBackward(retentionNorm, x, rows: rows, scratch: s, threads: threads)
        // The stacked weights' gradients, cut back into one matrix per weight.
        let retentionGradients = MultiScaleRetentionGradients(
            qProj: dProjections.matrix(firstRow: 0, rows: e, columns: e),
            kProj: dProjections.matrix(firstRow: e, rows: e, columns: e),
            vProj: dProjections.matrix(firstRow: 2 * e, rows: v, columns: e),
            gProj: dProjections.matrix(firstRow: 2 * e + v, rows: v, columns: e),
            outProj: dOutput.matrix(firstRow: 0, rows: e, columns: v), headNorm: headNormGradients)
        return RetNetBlockGradients(retentionLayerNorm: retentionNormGradients, retention: retentionGradients,
                                    finalLayerNorm: secondHalf.norm, ffn: secondHalf.ffn)
    }
}
