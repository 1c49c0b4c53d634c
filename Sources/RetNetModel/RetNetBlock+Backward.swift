import Layers
import Matrices
import MultiScaleRetention

/// ∂L/∂ every weight of one block, in the block's own structure.
public struct RetNetBlockGradients<E: RealScalar>: Equatable, Sendable {
    public var retentionLayerNorm: NormGradients<E>
    public var retention: MultiScaleRetentionGradients<E>
    public var finalLayerNorm: NormGradients<E>
    public var ffn: FeedForwardGradients<E>

    public init(retentionLayerNorm: NormGradients<E>, retention: MultiScaleRetentionGradients<E>,
                finalLayerNorm: NormGradients<E>, ffn: FeedForwardGradients<E>)
    {
        self.retentionLayerNorm = retentionLayerNorm
        self.retention = retention
        self.finalLayerNorm = finalLayerNorm
        self.ffn = ffn
    }

    /// Zero gradients shaped like `block`'s weights.
    public init(zeroFor block: RetNetBlock<E>) {
        self.init(retentionLayerNorm: NormGradients(zeroFor: block.retentionLayerNorm),
                  retention: MultiScaleRetentionGradients(zeroFor: block.retention),
                  finalLayerNorm: NormGradients(zeroFor: block.finalLayerNorm),
                  ffn: FeedForwardGradients(zeroFor: block.ffn))
    }
}

extension RetNetBlock {
    /// The backward pass of the block from the start of a sequence: given dX′ = ∂L/∂X′ (n×E),
    /// returns ∂L/∂X and adds ∂L/∂ every weight into `gradients`. With Y = MSR(Norm₁(X)) + X
    /// and X′ = FFN(Norm₂(Y)) + Y, each residual passes its gradient through unchanged and adds
    /// the branch's:
    ///
    ///     dY = dX′ + Norm₂ᵀ(FFNᵀ(dX′)),     dX = dY + Norm₁ᵀ(MSRᵀ(dY))
    ///
    /// where ·ᵀ is each stage's backward pass (`BlockNorm.backward`, `FeedForward.backward`,
    /// `MultiScaleRetentionLayer.backward` in `form`, with `scaling`'s factors as constants).
    ///
    /// Throws what the forward pass throws, `.invalid` when dX′ is not shaped like X or a
    /// gradient is not shaped like its weight, and `.invalid` naming `biases` for a block with
    /// biases (there are no bias gradients).
    public func backward(_ x: Matrix<E>, outputGradient dOut: Matrix<E>, form: RetentionForm = .parallel,
                         scaling: RowScaling = .exact, gradients: inout RetNetBlockGradients<E>)
        throws(MultiScaleRetentionError) -> Matrix<E>
    {
        if ffnBiases != nil {
            throw .invalid(field: "biases", expected: "a block without biases (the backward pass has no bias gradients)",
                           got: "fc1 and fc2 biases")
        }
        try MultiScaleRetentionError.requireShape(dOut, "block output gradient", rows: x.rows, columns: x.columns,
                                                  "the shape of X")
        let normed = retentionLayerNorm.apply(x)
        let retained = try retention.pass(normed, form: form, scaling: scaling)
        let y = retained.output + x
        let normedY = finalLayerNorm.apply(y)
        do {
            let dNormedY = try ffn.backward(normedY, outputGradient: dOut, gradients: &gradients.ffn)
            let dY = dOut + (try finalLayerNorm.backward(y, outputGradient: dNormedY, gradients: &gradients.finalLayerNorm))
            let dNormed = try retention.backward(normed, outputGradient: dY, form: form, scaling: scaling,
                                                 gradients: &gradients.retention)
            return dY + (try retentionLayerNorm.backward(x, outputGradient: dNormed,
                                                         gradients: &gradients.retentionLayerNorm))
        } catch let error as ShapeError {
            throw .invalid(field: error.argument, expected: error.expected, got: error.got)
        } catch let error as MultiScaleRetentionError {
            throw error
        } catch {
            throw .invalid(field: "block", expected: "a backward pass", got: "\(error)")
        }
    }
}
