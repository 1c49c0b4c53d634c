import Matrices

/// ∂L/∂ a norm's own weights — w and b, per channel — for every norm of the model: the per-head
/// norms of multi-scale retention (GroupNorm: both; torchscale's weightless RMSNorm: neither) and
/// the block norms (LayerNorm: both; RMSNorm: w only). An absent weight's array is empty.
/// Backward passes add into these (`NormBackward`).
public struct NormGradients<E: RealScalar>: Equatable, Sendable {
    public var weight: [E]
    public var bias: [E]

    public init(weight: [E], bias: [E]) {
        self.weight = weight
        self.bias = bias
    }
}
