import Matrices
import MultiScaleRetention

/// One RetNet block (paper Sec. 2.3), pre-norm with residuals:
///
///     Y = MSR(Norm(X)) + X
///     X′ = FFN(Norm(Y)) + Y
///
/// torchscale's names: `retention_layer_norm`, `retention`, `final_layer_norm`, `ffn`.
public struct RetNetBlock<E: RealScalar>: Sendable, Equatable {
    public let retentionLayerNorm: BlockNorm<E>
    public let retention: MultiScaleRetentionLayer<E>
    public let finalLayerNorm: BlockNorm<E>
    public let ffn: FeedForward<E>

    public init(retentionLayerNorm: BlockNorm<E>, retention: MultiScaleRetentionLayer<E>,
                finalLayerNorm: BlockNorm<E>, ffn: FeedForward<E>) {
        self.retentionLayerNorm = retentionLayerNorm
        self.retention = retention
        self.finalLayerNorm = finalLayerNorm
        self.ffn = ffn
    }

    /// X′ for X (n×E), the retention in `form` from `state`, and the retention's new state.
    public func callAsFunction(_ x: Matrix<E>, form: RetentionForm, from state: MultiScaleRetentionState<E>?,
                               scaling: RowScaling = .exact)
        throws(MultiScaleRetentionError) -> (output: Matrix<E>, state: MultiScaleRetentionState<E>)
    {
        let retained = try retention.pass(retentionLayerNorm.apply(x), form: form, from: state, scaling: scaling)
        let y = retained.output + x
        return (ffn(finalLayerNorm.apply(y)) + y, retained.state)
    }

    /// The block in another precision.
    public func converted<Other: RealScalar>(to _: Other.Type = Other.self) throws(MultiScaleRetentionError)
        -> RetNetBlock<Other>
    {
        RetNetBlock<Other>(retentionLayerNorm: retentionLayerNorm.converted(), retention: try retention.converted(),
                           finalLayerNorm: finalLayerNorm.converted(), ffn: ffn.converted())
    }
}
