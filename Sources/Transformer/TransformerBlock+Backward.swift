import Layers
import Matrices

extension TransformerBlock {
    /// The backward pass of the block from the start of a sequence: given dX′ = ∂L/∂X′ (n×E),
    /// returns ∂L/∂X and adds ∂L/∂ every weight into `gradients`. As for the RetNet's block
    /// (`RetNetBlock.backward`), each residual passes its gradient through unchanged and adds
    /// the branch's:
    ///
    ///     dY = dX′ + Norm₂ᵀ(FFNᵀ(dX′)),     dX = dY + Norm₁ᵀ(Attnᵀ(dY))
    ///
    /// where ·ᵀ is each stage's backward pass (`BlockNorm.backward`, `FeedForward.backward`,
    /// `CausalSelfAttention.backward`).
    ///
    /// Throws `.argument` unless X has E columns and dX′ is shaped like X, or when a gradient is
    /// not shaped like its weight.
    public func backward(_ x: Matrix<E>, outputGradient dOut: Matrix<E>, gradients: inout TransformerBlockGradients<E>)
        throws(TransformerError) -> Matrix<E>
    {
        try checkWidth(x)
        let normed = attentionLayerNorm.apply(x)
        let y = try attention(normed).output + x
        let normedY = finalLayerNorm.apply(y)
        let dNormed: Matrix<E>, dY: Matrix<E>
        do throws(ShapeError) {
            try ShapeError.require(dOut, "block output gradient", rows: x.rows, columns: x.columns, " (the shape of X)")
            let dNormedY = try ffn.backward(normedY, outputGradient: dOut, gradients: &gradients.ffn)
            dY = dOut + (try finalLayerNorm.backward(y, outputGradient: dNormedY, gradients: &gradients.finalLayerNorm))
        } catch {
            throw .argument(name: error.argument, expected: error.expected, got: error.got)
        }
        dNormed = try attention.backward(normed, outputGradient: dY, gradients: &gradients.attention)
        do throws(ShapeError) {
            return dY + (try attentionLayerNorm.backward(x, outputGradient: dNormed, gradients: &gradients.attentionLayerNorm))
        } catch {
            throw .argument(name: error.argument, expected: error.expected, got: error.got)
        }
    }
}
