import FastLayers
import Kernels
import Layers
import Matrices

/// One pre-norm decoder block laid out for a training step, for any token mixer:
///
///     Y = X + M W_Oᵀ,  M = Mixer(Norm₁(X) [W_Q; W_K; W_V; …]ᵀ)      (one GEMM in, heads, one GEMM out)
///     X′ = Y + FFN(Norm₂(Y))                                         (`TrainingFFN`)
///
/// The mixer (`RetentionMixer`, `AttentionMixer`, …) holds its stacked projections and W_O,
/// each [out, in] as stored, so that one product serves the projections forward, one their input
/// gradient and one their weights'.
final class TrainingBlock<Mixer: TrainingMixer> {
    let mixerNorm: BlockNorm<Float>
    let mixer: Mixer
    let ffn: TrainingFFN

    /// The block's weights laid out for sequences of `length` tokens and the mixer's heads in
    /// `form`, in the buffers of `previous` (a block of the same shape, whose weights are no longer
    /// read) when given.
    init(_ parts: BlockParts<Mixer.Layer>, length: Int, form: Mixer.Form, reusing previous: TrainingBlock?) {
        mixerNorm = parts.mixerNorm
        mixer = Mixer(parts.mixer, length: length, form: form, reusing: previous?.mixer)
        ffn = TrainingFFN(finalNorm: parts.finalNorm, parts.ffn, reusing: previous?.ffn)
    }

    var shape: MixerShape { mixer.shape }

    /// Runs `work` on the mixer's items (b·h + i) on up to `threads` threads, each thread with its
    /// own scratch, the items handed out a few at a time to whichever thread asks (`ItemGroups`).
    private func splitItems(_ items: Int, threads: Int, scratch: [HeadScratch], _ work: (Range<Int>, HeadScratch) -> Void) {
        ItemGroups.share(items, threads: Swift.min(threads, scratch.count)) { group, worker in work(group, scratch[worker]) }
    }

    /// X′ = Block(X) for the R rows at `x` into `out`, keeping in `kept` what the backward pass reads:
    ///
    ///     Norm₁(X) → the stacked projections (one GEMM) → heads (pairs of sequence and head split between threads)
    ///     Y = X + M W_Oᵀ          (the GEMM adds into a copy of X)
    ///     X′ = Y + FFN(Norm₂(Y))
    func forward(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, keeping kept: BlockActivations<Mixer>,
                 heads: Mixer.Heads, rows: Int, scratch: [HeadScratch], threads: Int, clock: PhaseClock? = nil) {
        let (e, v, width, mixer) = (shape.embed, shape.value, shape.projectionWidth, mixer)
        let (norm, normed, projected, mixed) = (mixerNorm, kept.normed, kept.projected, kept.mixed)
        clock.time(.norms) {
            Bands.run(rows, threads: threads) { band in NormRows.block(norm, x, into: normed.pointer, rows: band, width: e) }
        }
        clock.time(.projections) {
            Linear.forward(normed.pointer, weight: mixer.projections.pointer, into: projected.pointer, rows: rows, inputs: e,
                           outputs: width, threads: threads)
        }
        clock.time(.heads) {
            splitItems(rows / heads.length * shape.heads, threads: threads, scratch: scratch) { items, scratch in
                mixer.forward(items, heads: heads, projected: projected.pointer, kept: kept.mixer, mixed: mixed.pointer,
                              scratch: scratch)
            }
        }
        let y = kept.feedForward.y
        clock.time(.projections) {
            y.pointer.update(from: x, count: rows * e)
            Linear.forward(mixed.pointer, weight: mixer.output.pointer, into: y.pointer, rows: rows, inputs: v, outputs: e,
                           accumulate: true, threads: threads)
        }
        ffn.forward(kept.feedForward, into: out, rows: rows, threads: threads, clock: clock)
    }

    /// The backward pass of `forward`: given dX′ in `s.dX`, leaves dX there and returns ∂L/∂
    /// every weight of the block (the reference block's backward chain, each stage over all rows):
    ///
    ///     dY = dX′ + Norm₂ᵀ(FFNᵀ(dX′))                                      (`TrainingFFN.backward`)
    ///     dM = dY W_O,  dW_O = dYᵀ M,  heads (d[projections] into s.dProjected)
    ///     dNorm₁ = d[projections] [W_Q; W_K; …],  d[W_Q; W_K; …] = d[projections]ᵀ Norm₁(X)
    ///     dX = dY + Norm₁ᵀ(dNorm₁)
    ///
    /// `x` is the block's input, `kept` what its forward pass kept.
    func backward(_ x: UnsafePointer<Float>, kept: BlockActivations<Mixer>, heads: Mixer.Heads, rows: Int,
                  scratch s: BackwardScratch, headScratch: [HeadScratch], threads: Int, clock: PhaseClock? = nil)
        -> BlockGradients<Mixer.Gradients>
    {
        let (e, v, width, mixer) = (shape.embed, shape.value, shape.projectionWidth, mixer)
        let secondHalf = ffn.backward(kept.feedForward, rows: rows, scratch: s, threads: threads, clock: clock)
        // The mixer: W_O, the heads, the stacked projections.
        clock.time(.projections) {
            Linear.inputGradient(s.dY.pointer, weight: mixer.output.pointer, into: s.dMixed.pointer, rows: rows, inputs: v,
                                 outputs: e, threads: threads)
            Linear.weightGradient(s.dY.pointer, input: kept.mixed.pointer, into: s.dOutput.pointer, rows: rows, inputs: v,
                                  outputs: e, threads: threads)
        }
        let projected = kept.projected
        clock.time(.heads) {
            splitItems(rows / heads.length * shape.heads, threads: threads, scratch: headScratch) { items, scratch in
                mixer.backward(items, heads: heads, projected: projected.pointer, kept: kept.mixer,
                               mixedGradient: s.dMixed.pointer, into: s.dProjected.pointer, terms: s, scratch: scratch)
            }
        }
        let mixerGradients = clock.time(.projections) {
            Linear.inputGradient(s.dProjected.pointer, weight: mixer.projections.pointer, into: s.dNormed.pointer, rows: rows,
                                 inputs: e, outputs: width, threads: threads)
            Linear.weightGradient(s.dProjected.pointer, input: kept.normed.pointer, into: s.dProjections.pointer, rows: rows,
                                  inputs: e, outputs: width, threads: threads)
            return mixer.gradients(projections: s.dProjections, output: s.dOutput, terms: s, rows: rows)
        }
        let mixerNormGradients = clock.time(.norms) { inputNormBackward(x, rows: rows, scratch: s, threads: threads) }
        return BlockGradients(mixerNorm: mixerNormGradients, mixer: mixerGradients, finalNorm: secondHalf.norm,
                              ffn: secondHalf.ffn)
    }

    /// The first half's last step: dX = dY + Norm₁ᵀ(dNorm₁) for Norm₁ of the block's input `x`,
    /// given dNorm₁ in `s.dNormed` and dY in `s.dY`; dX into `s.dX`, and Norm₁'s gradients.
    private func inputNormBackward(_ x: UnsafePointer<Float>, rows: Int, scratch s: BackwardScratch, threads: Int)
        -> NormGradients<Float>
    {
        let (e, norm) = (shape.embed, mixerNorm)
        Bands.run(rows, threads: threads) { band in
            NormRows.block(norm, x, s.dNormed.pointer, into: s.dX.pointer, weightTerms: s.weightTerms.pointer,
                           rows: band, width: e)
            for i in (band.lowerBound * e)..<(band.upperBound * e) { s.dX.pointer[i] = s.dY.pointer[i] + s.dX.pointer[i] }
        }
        return NormRows.gradients(norm, weightTerms: s.weightTerms.pointer, outputGradient: s.dNormed.pointer, rows: rows,
                                  width: e)
    }
}

/// A reference block seen as its four parts: Norm₁, the mixer's layer, Norm₂ and the FFN.
struct BlockParts<Layer> {
    let mixerNorm: BlockNorm<Float>
    let mixer: Layer
    let finalNorm: BlockNorm<Float>
    let ffn: FeedForward<Float>
}

/// A block's weight gradients as its four parts.
struct BlockGradients<Mixer> {
    let mixerNorm: NormGradients<Float>
    let mixer: Mixer
    let finalNorm: NormGradients<Float>
    let ffn: FeedForwardGradients<Float>
}

/// What a block's forward pass keeps for its backward pass, for R = B·T rows (each buffer
/// rows×width, row-major, unless said otherwise). The block's input X is the previous block's
/// output, kept by the caller.
final class BlockActivations<Mixer: TrainingMixer> {
    /// Norm₁(X), R×E.
    let normed: FloatBuffer
    /// The stacked projections Norm₁(X) [W_Q W_K W_V …]ᵀ as computed, before scaling and rotation.
    let projected: FloatBuffer
    /// The heads' Q, K, V (and weights).
    let heads: HeadActivations
    /// What the mixer keeps of its own.
    let mixer: Mixer.Kept
    /// M, the input of W_O, R×V.
    let mixed: FloatBuffer
    /// Y = X + M W_Oᵀ and what the FFN half keeps.
    let feedForward: FeedForwardActivations

    /// Buffers for R = B·T rows, sequences of T = `length` tokens.
    init(_ block: TrainingBlock<Mixer>, rows: Int, length: Int) {
        let shape = block.shape
        normed = FloatBuffer(rows * shape.embed)
        projected = FloatBuffer(rows * shape.projectionWidth)
        heads = block.mixer.headActivations(rows: rows, length: length)
        mixer = block.mixer.kept(rows: rows, length: length)
        mixed = FloatBuffer(rows * shape.value)
        feedForward = FeedForwardActivations(block.ffn, rows: rows)
    }
}
