import Kernels
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

    init(_ block: TrainingBlock, rows: Int) {
        let (e, v) = (block.embed, block.value)
        dX = FloatBuffer(rows * e)
        dY = FloatBuffer(rows * e)
        dNormed = FloatBuffer(rows * e)
        dHidden = FloatBuffer(rows * block.hidden)
        dExpanded = FloatBuffer(rows * block.expandWidth)
        dGated = FloatBuffer(rows * v)
        dProjected = FloatBuffer(rows * block.projectionWidth)
        weightTerms = FloatBuffer(rows * Swift.max(e, v))
        biasTerms = FloatBuffer(rows * v)
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
        let (e, f, v, width, span) = (embed, hidden, value, projectionWidth, expandWidth)
        let (activation, gated, retentionNorm, finalNorm) = (activation, gated, retentionNorm, finalNorm)
        // FFN.
        Linear.inputGradient(s.dX.pointer, weight: contract.pointer, into: s.dHidden.pointer, rows: rows, inputs: f,
                             outputs: e, threads: threads)
        let dContract = FloatBuffer(e * f)
        Linear.weightGradient(s.dX.pointer, input: kept.activated.pointer, into: dContract.pointer, rows: rows, inputs: f,
                              outputs: e, threads: threads)
        Bands.run(rows, threads: threads) { band in
            for t in band {
                ActivationRows.feedForwardBackward(activation, expanded: kept.expanded.pointer + t * span, gated: gated,
                                                   hidden: f, outputGradient: s.dHidden.pointer + t * f,
                                                   into: s.dExpanded.pointer + t * span)
            }
        }
        Linear.inputGradient(s.dExpanded.pointer, weight: expand.pointer, into: s.dNormed.pointer, rows: rows, inputs: e,
                             outputs: span, threads: threads)
        let dExpand = FloatBuffer(span * e)
        Linear.weightGradient(s.dExpanded.pointer, input: kept.normedY.pointer, into: dExpand.pointer, rows: rows,
                              inputs: e, outputs: span, threads: threads)
        Bands.run(rows, threads: threads) { band in
            NormRows.block(finalNorm, kept.y.pointer, s.dNormed.pointer, into: s.dY.pointer,
                           weightTerms: s.weightTerms.pointer, rows: band, width: e)
            for i in (band.lowerBound * e)..<(band.upperBound * e) { s.dY.pointer[i] = s.dX.pointer[i] + s.dY.pointer[i] }
        }
        let finalNormGradients = NormRows.gradients(finalNorm, weightTerms: s.weightTerms.pointer,
                                                    outputGradient: s.dNormed.pointer, rows: rows, width: e)
        // Multi-scale retention.
        Linear.inputGradient(s.dY.pointer, weight: output.pointer, into: s.dGated.pointer, rows: rows, inputs: v,
                             outputs: e, threads: threads)
        let dOutput = FloatBuffer(e * v)
        Linear.weightGradient(s.dY.pointer, input: kept.gated.pointer, into: dOutput.pointer, rows: rows, inputs: v,
                              outputs: e, threads: threads)
        Bands.run(rows / retention.length * heads, threads: threads) { items in
            retention.backward(items, outputGradient: s.dGated.pointer, into: s.dProjected.pointer,
                               weightTerms: s.weightTerms.pointer, biasTerms: s.biasTerms.pointer)
        }
        let headNormGradients: NormGradients<Float> = switch headNorm {
        case .groupNorm: NormGradients(weight: NormRows.columnSums(s.weightTerms.pointer, rows: rows, width: v),
                                       bias: NormRows.columnSums(s.biasTerms.pointer, rows: rows, width: v))
        case .rms: NormGradients(weight: [], bias: [])
        }
        Linear.inputGradient(s.dProjected.pointer, weight: projections.pointer, into: s.dNormed.pointer, rows: rows,
                             inputs: e, outputs: width, threads: threads)
        let dProjections = FloatBuffer(width * e)
        Linear.weightGradient(s.dProjected.pointer, input: kept.normed.pointer, into: dProjections.pointer, rows: rows,
                              inputs: e, outputs: width, threads: threads)
        Bands.run(rows, threads: threads) { band in
            NormRows.block(retentionNorm, x, s.dNormed.pointer, into: s.dX.pointer, weightTerms: s.weightTerms.pointer,
                           rows: band, width: e)
            for i in (band.lowerBound * e)..<(band.upperBound * e) { s.dX.pointer[i] = s.dY.pointer[i] + s.dX.pointer[i] }
        }
        let retentionNormGradients = NormRows.gradients(retentionNorm, weightTerms: s.weightTerms.pointer,
                                                        outputGradient: s.dNormed.pointer, rows: rows, width: e)
        // The stacked weights' gradients, cut back into one matrix per weight.
        func matrix(_ buffer: FloatBuffer, firstRow: Int, rows: Int, columns: Int) -> Matrix<Float> {
            Matrix(rows: rows, columns: columns, entries: buffer.array(from: firstRow * columns, count: rows * columns))
        }
        let retentionGradients = MultiScaleRetentionGradients(
            qProj: matrix(dProjections, firstRow: 0, rows: e, columns: e),
            kProj: matrix(dProjections, firstRow: e, rows: e, columns: e),
            vProj: matrix(dProjections, firstRow: 2 * e, rows: v, columns: e),
            gProj: matrix(dProjections, firstRow: 2 * e + v, rows: v, columns: e),
            outProj: matrix(dOutput, firstRow: 0, rows: e, columns: v), headNorm: headNormGradients)
        let ffnGradients = FeedForwardGradients(
            fc1: matrix(dExpand, firstRow: 0, rows: f, columns: e),
            gate: gated ? matrix(dExpand, firstRow: f, rows: f, columns: e) : nil,
            fc2: matrix(dContract, firstRow: 0, rows: e, columns: f))
        return RetNetBlockGradients(retentionLayerNorm: retentionNormGradients, retention: retentionGradients,
                                    finalLayerNorm: finalNormGradients, ffn: ffnGradients)
    }
}
