import FastLayers
/// The gradients flowing back through the blocks, for R rows, shared by every block (all have
/// one configuration's widths): rows×width each.
final class BackwardScratch {
    /// ∂L/∂ the residual stream: a block's output gradient on entry, its input gradient on return.
    let dX: FloatBuffer
    /// ∂L/∂Y (R×E), ∂L/∂Norm(·) (R×E).
    let dY: FloatBuffer, dNormed: FloatBuffer
    /// ∂L/∂(act(fc1 ·) [⊙ gate ·]) (R×F), ∂L/∂ fc1 (and gate) outputs (R×2F or R×F).
    let dHidden: FloatBuffer, dExpanded: FloatBuffer
    /// ∂L/∂M, the mixer's output (R×V), and ∂L/∂ its stacked projections (R × projectionWidth).
    let dMixed: FloatBuffer, dProjected: FloatBuffer
    /// Each row's terms of a norm's weight and bias gradients (R×max(E, V); the bias terms are a
    /// per-head norm's, R×V), summed afterwards.
    let weightTerms: FloatBuffer, biasTerms: FloatBuffer
    /// One block's weight gradients, as the GEMMs write them, before they are copied out: the
    /// stacked projections' (projectionWidth×E), W_O's (E×V), [fc1; gate]'s or fc1's
    /// (expandWidth×E), fc2's (E×F).
    let dProjections: FloatBuffer, dOutput: FloatBuffer, dExpand: FloatBuffer, dContract: FloatBuffer

    /// Buffers for R rows of blocks of `shape`'s mixer and `ffn`'s widths.
    init(rows: Int, shape: MixerShape, ffn: TrainingFFN) {
        let (e, v, hidden, expandWidth, width) = (shape.embed, shape.value, ffn.hidden, ffn.expandWidth, shape.projectionWidth)
        dX = FloatBuffer(rows * e)
        dY = FloatBuffer(rows * e)
        dNormed = FloatBuffer(rows * e)
        dHidden = FloatBuffer(rows * hidden)
        dExpanded = FloatBuffer(rows * expandWidth)
        dMixed = FloatBuffer(rows * v)
        dProjected = FloatBuffer(rows * width)
        weightTerms = FloatBuffer(rows * Swift.max(e, v))
        biasTerms = FloatBuffer(rows * v)
        dProjections = FloatBuffer(width * e)
        dOutput = FloatBuffer(e * v)
        dExpand = FloatBuffer(expandWidth * e)
        dContract = FloatBuffer(e * hidden)
    }
}
