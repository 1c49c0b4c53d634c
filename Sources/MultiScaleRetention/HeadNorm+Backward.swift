import Layers
import Matrices

extension NormGradients {
    /// Zero gradients shaped like `norm`'s weights: GroupNorm's w and b (h·d_v each), nothing
    /// for torchscale's weightless RMSNorm (both arrays empty).
    public init(zeroFor norm: HeadNorm<E>) {
        switch norm {
        case .groupNorm(let w, let b, _): self.init(weight: .init(repeating: 0, count: w.count),
                                                     bias: .init(repeating: 0, count: b.count))
        case .rms: self.init(weight: [], bias: [])
        }
    }
}

extension HeadNorm {
    /// The backward pass of `apply(x, heads:)`: returns dX and adds the weight and bias
    /// gradients (GroupNorm) into `gradients`. The formulas are `NormBackward`'s, per head and
    /// row: GroupNorm is the centred form with weight and bias, torchscale's RMSNorm the
    /// uncentred form without either.
    ///
    /// Throws when h does not divide x's width, dY is not shaped like x, or `gradients` is not
    /// shaped like the norm's weights.
    public func backward(_ x: Matrix<E>, heads: Int, outputGradient dY: Matrix<E>,
                         gradients: inout NormGradients<E>) throws(MultiScaleRetentionError) -> Matrix<E>
    {
        guard heads >= 1 && x.columns % heads == 0 else {
            throw .invalid(field: "head norm input", expected: "a width divisible by h = \(heads)", got: "\(x.shape)")
        }
        try MultiScaleRetentionError.requireShape(dY, "head norm output gradient", rows: x.rows, columns: x.columns,
                                                  "the shape of the input")
        switch self {
        case .groupNorm(let weight, _, let eps):
            guard weight.count == x.columns && gradients.weight.count == x.columns && gradients.bias.count == x.columns
            else {
                throw .invalid(field: "group_norm gradients", expected: "\(x.columns) entries each (V)",
                               got: "weight \(weight.count), gradients \(gradients.weight.count) and \(gradients.bias.count)")
            }
            return NormBackward.backward(x, outputGradient: dY, groups: heads, centred: true, eps: eps, weight: weight,
                                         weightGradient: &gradients.weight, biasGradient: &gradients.bias)
        case .rms(let eps):
            // No weight and no bias: nothing is added to these.
            var (noWeight, noBias) = ([E](), [E]())
            return NormBackward.backward(x, outputGradient: dY, groups: heads, centred: false, eps: eps, weight: nil,
                                         weightGradient: &noWeight, biasGradient: &noBias)
        }
    }
}
