import Layers
import Matrices

/// ∂L/∂ every weight of one multi-scale retention layer, each shaped as the weight it belongs to
/// ([out, in] for the projections, as checkpoints store them), so that a gradient can be saved
/// under its weight's name and applied to it entry by entry.
///
/// Backward passes *add* into these (`+=`): a layer used on two sequences, or twice in one
/// computation, collects the sum of its uses, which is the gradient of the sum of the losses.
public struct MultiScaleRetentionGradients<E: RealScalar>: Equatable, Sendable {
    /// ∂L/∂W_Q, ∂L/∂W_K [E, E], ∂L/∂W_V, ∂L/∂W_G [V, E], ∂L/∂W_O [E, V].
    public var qProj: Matrix<E>, kProj: Matrix<E>, vProj: Matrix<E>, gProj: Matrix<E>, outProj: Matrix<E>
    /// ∂L/∂ the per-head norm's weight and bias (GroupNorm; empty for the weightless RMSNorm).
    public var headNorm: NormGradients<E>

    public init(qProj: Matrix<E>, kProj: Matrix<E>, vProj: Matrix<E>, gProj: Matrix<E>, outProj: Matrix<E>,
                headNorm: NormGradients<E>)
    {
        (self.qProj, self.kProj, self.vProj, self.gProj, self.outProj) = (qProj, kProj, vProj, gProj, outProj)
        self.headNorm = headNorm
    }

    /// Zero gradients shaped like `layer`'s weights: where accumulation starts.
    public init(zeroFor layer: MultiScaleRetentionLayer<E>) {
        func zero(_ m: Matrix<E>) -> Matrix<E> { Matrix(rows: m.rows, columns: m.columns) }
        self.init(qProj: zero(layer.qProj), kProj: zero(layer.kProj), vProj: zero(layer.vProj),
                  gProj: zero(layer.gProj), outProj: zero(layer.outProj), headNorm: NormGradients(zeroFor: layer.headNorm))
    }
}
