import FastLayers
import Kernels
import Layers
import Matrices

/// The second half of a pre-norm block, X′ = Y + FFN(Norm₂(Y)), the same in every decoder's
/// block whatever its mixer: its weights laid out for the GEMMs — [fc1; gate] (2F×E) or fc1
/// (F×E) as `expand`, fc2 (E×F) as `contract` — and its forward and backward passes over all rows.
struct TrainingFFN {
    let finalNorm: BlockNorm<Float>
    let expand: FloatBuffer
    let contract: FloatBuffer
    let activation: Activation
    /// Whether the FFN is torchscale's GLU (fc1 and gate) rather than the paper's plain FFN.
    let gated: Bool
    /// E and F.
    let embed: Int, hidden: Int

    /// The FFN's weights laid out, in the buffers of `previous` when given and of the same sizes.
    init(finalNorm: BlockNorm<Float>, _ ffn: FeedForward<Float>, reusing previous: TrainingFFN?) {
        self.finalNorm = finalNorm
        let (expand, contract) = (previous?.expand, previous?.contract)
        switch ffn {
        case .plain(let fc1, let fc2, let activation):
            (self.expand, self.contract) = (.reusing(expand, concatenating: [fc1.storage]),
                                            .reusing(contract, concatenating: [fc2.storage]))
            (self.activation, gated, embed, hidden) = (activation, false, fc1.columns, fc1.rows)
        case .glu(let fc1, let gate, let fc2, let activation):
            (self.expand, self.contract) = (.reusing(expand, concatenating: [fc1.storage, gate.storage]),
                                            .reusing(contract, concatenating: [fc2.storage]))
            (self.activation, gated, embed, hidden) = (activation, true, fc1.columns, fc1.rows)
        }
    }
}

/// What the FFN half keeps for its backward pass, for R rows: Y = X + Mixer(Norm₁(X)) and
/// Norm₂(Y) (R×E), the fc1 (and gate) outputs (R×2F or R×F), and act(fc1 ·) [⊙ gate ·] (R×F, the
/// input of fc2).
final class FeedForwardActivations {
    let y: FloatBuffer, normedY: FloatBuffer, expanded: FloatBuffer, activated: FloatBuffer

    init(_ half: TrainingFFN, rows: Int) {
        y = FloatBuffer(rows * half.embed)
        normedY = FloatBuffer(rows * half.embed)
        expanded = FloatBuffer(rows * half.expandWidth)
        activated = FloatBuffer(rows * half.hidden)
    }
}

extension TrainingFFN {
    /// 2F (GLU) or F: the width of the fc1 (and gate) outputs.
    var expandWidth: Int { gated ? 2 * hidden : hidden }

    /// X′ = Y + FFN(Norm₂(Y)) for the R rows of Y (in `kept.y`) into `out`, keeping the rest of `kept`.
    func forward(_ kept: FeedForwardActivations, into out: UnsafeMutablePointer<Float>, rows: Int, threads: Int,
                 clock: PhaseClock? = nil) {
        let (y, normedY, expanded, activated) = (UnsafePointer(kept.y.pointer), kept.normedY, kept.expanded, kept.activated)
        let (e, f, span, activation, gated, finalNorm) = (embed, hidden, expandWidth, activation, gated, finalNorm)
        clock.time(.norms) {
            Bands.run(rows, threads: threads) { band in
                NormRows.block(finalNorm, y, into: normedY.pointer, rows: band, width: e)
            }
        }
        clock.time(.feedForwardProducts) {
            Linear.forward(normedY.pointer, weight: expand.pointer, into: expanded.pointer, rows: rows, inputs: e, outputs: span,
                           threads: threads)
        }
        clock.time(.activations) {
            Bands.run(rows, threads: threads) { band in
                for t in band {
                    let row = expanded.pointer + t * span
                    ActivationRows.apply(activation, row, times: gated ? row + f : nil, into: activated.pointer + t * f, count: f)
                }
            }
        }
        clock.time(.feedForwardProducts) {
            out.update(from: y, count: rows * e)
            Linear.forward(activated.pointer, weight: contract.pointer, into: out, rows: rows, inputs: f, outputs: e,
                           accumulate: true, threads: threads)
        }
    }

    /// The backward pass of `forward`: given dX′ in `s.dX`, leaves dY = dX′ + Norm₂ᵀ(FFNᵀ(dX′))
    /// in `s.dY` and returns the gradients of Norm₂ and the FFN:
    ///
    ///     dP = dX′ fc2 (GEMM),  d fc2 = dX′ᵀ P (GEMM),  dH [dGt] row by row,
    ///     dNorm₂ = d[H Gt] [fc1; gate] (GEMM),  d[fc1; gate] = d[H Gt]ᵀ Norm₂(Y) (GEMM)
    ///     dY = dX′ + Norm₂ᵀ(dNorm₂)
    func backward(_ kept: FeedForwardActivations, rows: Int, scratch s: BackwardScratch, threads: Int, clock: PhaseClock? = nil)
        -> (norm: NormGradients<Float>, ffn: FeedForwardGradients<Float>)
    {
        let (y, normedY, expanded, activated) = (UnsafePointer(kept.y.pointer), kept.normedY, kept.expanded, kept.activated)
        let (e, f, span, activation, gated, finalNorm) = (embed, hidden, expandWidth, activation, gated, finalNorm)
        let (dContract, dExpand) = (s.dContract, s.dExpand)
        clock.time(.feedForwardProducts) {
            Linear.inputGradient(s.dX.pointer, weight: contract.pointer, into: s.dHidden.pointer, rows: rows, inputs: f,
                                 outputs: e, threads: threads)
            Linear.weightGradient(s.dX.pointer, input: activated.pointer, into: dContract.pointer, rows: rows, inputs: f,
                                  outputs: e, threads: threads)
        }
        clock.time(.activations) {
            Bands.run(rows, threads: threads) { band in
                for t in band {
                    ActivationRows.feedForwardBackward(activation, expanded: expanded.pointer + t * span, gated: gated,
                                                       hidden: f, outputGradient: s.dHidden.pointer + t * f,
                                                       into: s.dExpanded.pointer + t * span)
                }
            }
        }
        clock.time(.feedForwardProducts) {
            Linear.inputGradient(s.dExpanded.pointer, weight: expand.pointer, into: s.dNormed.pointer, rows: rows, inputs: e,
                                 outputs: span, threads: threads)
            Linear.weightGradient(s.dExpanded.pointer, input: normedY.pointer, into: dExpand.pointer, rows: rows,
                                  inputs: e, outputs: span, threads: threads)
        }
        let norm = clock.time(.norms) {
            Bands.run(rows, threads: threads) { band in
                NormRows.block(finalNorm, y, s.dNormed.pointer, into: s.dY.pointer, weightTerms: s.weightTerms.pointer,
                               rows: band, width: e)
                for i in (band.lowerBound * e)..<(band.upperBound * e) { s.dY.pointer[i] = s.dX.pointer[i] + s.dY.pointer[i] }
            }
            return NormRows.gradients(finalNorm, weightTerms: s.weightTerms.pointer, outputGradient: s.dNormed.pointer,
                                      rows: rows, width: e)
        }
        let ffn = FeedForwardGradients(
            fc1: dExpand.matrix(firstRow: 0, rows: f, columns: e),
            gate: gated ? dExpand.matrix(firstRow: f, rows: f, columns: e) : nil,
            fc2: dContract.matrix(firstRow: 0, rows: e, columns: f))
        return (norm, ffn)
    }
}
