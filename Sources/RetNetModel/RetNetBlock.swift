import Layers
import Matrices
import MultiScaleRetention
import Tracing

/// One RetNet block (paper Sec. 2.3), pre-norm with residuals:
///
///     Y = MSR(Norm(X)) + X
///     X′ = FFN(Norm(Y)) + Y
///
/// torchscale's names: `retention_layer_norm`, `retention`, `final_layer_norm`, `ffn`. The FFN's
/// biases, when the model has them (`RetNetConfig.biases`), are `ffnBiases`.
public struct RetNetBlock<E: RealScalar>: Sendable, Equatable {
    public let retentionLayerNorm: BlockNorm<E>
    public let retention: MultiScaleRetentionLayer<E>
    public let finalLayerNorm: BlockNorm<E>
    public let ffn: FeedForward<E>
    /// b₁ and b₂ of the FFN, or nil for none.
    public let ffnBiases: FeedForwardBiases<E>?

    public init(retentionLayerNorm: BlockNorm<E>, retention: MultiScaleRetentionLayer<E>,
                finalLayerNorm: BlockNorm<E>, ffn: FeedForward<E>, ffnBiases: FeedForwardBiases<E>? = nil) {
        self.retentionLayerNorm = retentionLayerNorm
        self.retention = retention
        self.finalLayerNorm = finalLayerNorm
        self.ffn = ffn
        self.ffnBiases = ffnBiases
    }

    /// X′ for X (n×E), the retention in `form` from `state`, and the retention's new state.
    ///
    /// With a `trace`, records X, both norms, the retention layer as one node (trace it on its
    /// own with `MultiScaleRetentionLayer.pass(_:trace:)`), both residual sums, and the FFN's
    /// steps in a group of their own. The numbers are the same with or without one.
    public func callAsFunction(_ x: Matrix<E>, form: RetentionForm, from state: MultiScaleRetentionState<E>?,
                               scaling: RowScaling = .exact, trace: Tracer<E>? = nil)
        throws(MultiScaleRetentionError) -> (output: Matrix<E>, state: MultiScaleRetentionState<E>)
    {
        let normed = retentionLayerNorm.apply(x)
        let retained = try retention.pass(normed, form: form, from: state, scaling: scaling)
        let y = retained.output + x
        let normedY = finalLayerNorm.apply(y)
        if let trace {
            let first = retentionLayerNorm.name, second = finalLayerNorm.name
            let xID = trace.node(for: x, symbol: "X")
            let norm = trace.record(.norm, "\(first)(X)", inputs: [xID], value: normed)
            let msr = trace.record(.layer, "MSR(\(first)(X))", inputs: [norm], value: retained.output)
            let yID = trace.record(.sum, "Y", "MSR(\(first)(X)) + X", inputs: [msr, xID], value: y)
            trace.record(.norm, "\(second)(Y)", inputs: [yID], value: normedY)
        }
        let fed = ffn(normedY, biases: ffnBiases, trace: trace)
        let output = fed + y
        if let trace {
            trace.record(.sum, "X′", "FFN(\(finalLayerNorm.name)(Y)) + Y", role: .output,
                         inputs: [trace.node(for: fed, symbol: "FFN"), trace.node(for: y, symbol: "Y")], value: output)
        }
        return (output, retained.state)
    }

    /// The block in another precision.
    public func converted<Other: RealScalar>(to _: Other.Type = Other.self) throws(MultiScaleRetentionError)
        -> RetNetBlock<Other>
    {
        RetNetBlock<Other>(retentionLayerNorm: retentionLayerNorm.converted(), retention: try retention.converted(),
                           finalLayerNorm: finalLayerNorm.converted(), ffn: ffn.converted(),
                           ffnBiases: ffnBiases?.converted())
    }
}
