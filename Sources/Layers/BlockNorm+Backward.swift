import Matrices

extension NormGradients {
    /// Zero gradients shaped like `norm`'s weights: w (E) and, for LayerNorm, b (E).
    public init(zeroFor norm: BlockNorm<E>) {
        switch norm {
        case .layerNorm(let w, let b, _): self.init(weight: .init(repeating: 0, count: w.count),
                                                     bias: .init(repeating: 0, count: b.count))
        case .rms(let w, _): self.init(weight: .init(repeating: 0, count: w.count), bias: [])
        }
    }
}

extension BlockNorm {
    /// The backward pass of `apply(x)`: returns dX and adds dw (and db for LayerNorm) into
    /// `gradients`. One group of E entries per row, in `NormBackward`'s formulas: LayerNorm is
    /// the centred form with weight and bias, torchscale's RMSNorm the uncentred form with a
    /// weight.
    ///
    /// Throws when x is not n×E, dY is not shaped like x, or `gradients` is not shaped like
    /// the norm's weights.
    public func backward(_ x: Matrix<E>, outputGradient dY: Matrix<E>, gradients: inout NormGradients<E>)
        throws(ShapeError) -> Matrix<E>
    {
        try ShapeError.require(x, "X", columns: width, " (the norm's width E)")
        try ShapeError.require(dY, "dY", rows: x.rows, columns: x.columns, " (the shape of X)")
        let zero = NormGradients(zeroFor: self)
        guard gradients.weight.count == zero.weight.count && gradients.bias.count == zero.bias.count else {
            throw ShapeError(argument: "norm gradients", expected: "\(zero.weight.count) and \(zero.bias.count) entries",
                             got: "\(gradients.weight.count) and \(gradients.bias.count)")
        }
        switch self {
        case .layerNorm(let weight, _, let eps):
            return NormBackward.backward(x, outputGradient: dY, groups: 1, centred: true, eps: eps, weight: weight,
                                         weightGradient: &gradients.weight, biasGradient: &gradients.bias)
        case .rms(let weight, let eps):
            return NormBackward.backward(x, outputGradient: dY, groups: 1, centred: false, eps: eps, weight: weight,
                                         weightGradient: &gradients.weight, biasGradient: &gradients.bias)
        }
    }
}
