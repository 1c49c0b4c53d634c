import FastRetNet
import Kernels
import Layers

/// The first half of a pre-norm block, Y = X + Mixer(Norm₁(X)), around its heads: the same
/// products in the RetNet's block (the mixer is multi-scale retention, [Q K V G]) and the
/// Transformer's (softmax attention, [Q K V]) — one GEMM for the stacked projections, the heads,
/// one GEMM for W_O — and their backward products.
protocol MixerHalf {
    /// The stacked projections [W_Q; W_K; …] (projectionWidth × E) and W_O (E×V).
    var projections: FloatBuffer { get }
    var output: FloatBuffer { get }
    var projectionWidth: Int { get }
    /// E and V.
    var embed: Int { get }
    var value: Int { get }
}

extension MixerHalf {
    /// Y = X + M W_Oᵀ for the R rows at `x`: Norm₁(X) into `normed`, the projections into
    /// `projected`, then `heads` (over `items` items, split between threads) writes M into
    /// `mixed`, and the output projection adds into a copy of X.
    func mixerForward(_ x: UnsafePointer<Float>, norm: BlockNorm<Float>, normed: FloatBuffer, projected: FloatBuffer,
                      mixed: FloatBuffer, into y: FloatBuffer, rows: Int, items: Int, threads: Int,
                      heads: (Range<Int>) -> Void) {
        let e = embed
        Bands.run(rows, threads: threads) { band in NormRows.block(norm, x, into: normed.pointer, rows: band, width: e) }
        Linear.forward(normed.pointer, weight: projections.pointer, into: projected.pointer, rows: rows, inputs: e,
                       outputs: projectionWidth, threads: threads)
        Bands.run(items, threads: threads, heads)
        y.pointer.update(from: x, count: rows * e)
        Linear.forward(mixed.pointer, weight: output.pointer, into: y.pointer, rows: rows, inputs: value, outputs: e,
                       accumulate: true, threads: threads)
    }

    /// The backward pass of `mixerForward` down to dNorm₁ (into `s.dNormed`), given dY in `s.dY`:
    ///
    ///     dM = dY W_O (into s.dGated),  dW_O = dYᵀ M,  heads (d[projections] into s.dProjected)
    ///     dNorm₁ = d[projections] [W_Q; W_K; …],  d[W_Q; W_K; …] = d[projections]ᵀ Norm₁(X)
    ///
    /// Returns the stacked projections' gradient (projectionWidth × E) and W_O's (E×V), in
    /// `s.dProjections` and `s.dOutput`.
    func mixerBackward(normed: FloatBuffer, mixed: FloatBuffer, rows: Int, items: Int, scratch s: BackwardScratch,
                       threads: Int, heads: (Range<Int>) -> Void) -> (projections: FloatBuffer, output: FloatBuffer) {
        let (e, v, width) = (embed, value, projectionWidth)
        Linear.inputGradient(s.dY.pointer, weight: output.pointer, into: s.dGated.pointer, rows: rows, inputs: v,
                             outputs: e, threads: threads)
        let (dOutput, dProjections) = (s.dOutput, s.dProjections)
        Linear.weightGradient(s.dY.pointer, input: mixed.pointer, into: dOutput.pointer, rows: rows, inputs: v,
                              outputs: e, threads: threads)
        Bands.run(items, threads: threads, heads)
        Linear.inputGradient(s.dProjected.pointer, weight: projections.pointer, into: s.dNormed.pointer, rows: rows,
                             inputs: e, outputs: width, threads: threads)
        Linear.weightGradient(s.dProjected.pointer, input: normed.pointer, into: dProjections.pointer, rows: rows,
                              inputs: e, outputs: width, threads: threads)
        return (dProjections, dOutput)
    }
}
