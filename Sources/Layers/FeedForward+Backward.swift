import Matrices

/// ∂L/∂ the FFN's weights, each shaped as its weight: fc1 [F, E], gate [F, E] (the GLU's; nil
/// for the plain FFN), fc2 [E, F].
public struct FeedForwardGradients<E: RealScalar>: Equatable, Sendable {
    public var fc1: Matrix<E>
    public var gate: Matrix<E>?
    public var fc2: Matrix<E>

    public init(fc1: Matrix<E>, gate: Matrix<E>?, fc2: Matrix<E>) {
        (self.fc1, self.gate, self.fc2) = (fc1, gate, fc2)
    }

    /// Zero gradients shaped like `ffn`'s weights.
    public init(zeroFor ffn: FeedForward<E>) {
        func zero(_ m: Matrix<E>) -> Matrix<E> { Matrix(rows: m.rows, columns: m.columns) }
        switch ffn {
        case .plain(let fc1, let fc2, _): self.init(fc1: zero(fc1), gate: nil, fc2: zero(fc2))
        case .glu(let fc1, let gate, let fc2, _): self.init(fc1: zero(fc1), gate: zero(gate), fc2: zero(fc2))
        }
    }
}

extension FeedForward {
    /// The backward pass of `self(x)`: returns dX and adds each weight's gradient into
    /// `gradients`. With H = X W₁ᵀ and A = act(H):
    ///
    ///     plain:  Out = A W₂ᵀ:               dA = dOut W₂,  dH = act′(H) ⊙ dA,  dX = dH W₁
    ///     GLU:    Out = (A ⊙ Gt) W₂ᵀ, Gt = X W_gateᵀ:
    ///             dP = dOut W₂,  dA = dP ⊙ Gt,  dGt = dP ⊙ A,  dX = dH W₁ + dGt W_gate
    ///
    /// each linear map's weight gradient dᵀ(its input) added as `linearBackward` adds it.
    ///
    /// Throws when x's width is not the FFN's E, dOut is not n×E, or a gradient is not shaped
    /// like its weight (a GLU's gate gradient must be there).
    public func backward(_ x: Matrix<E>, outputGradient dOut: Matrix<E>, gradients: inout FeedForwardGradients<E>)
        throws(ShapeError) -> Matrix<E>
    {
        switch self {
        case .plain(let fc1, let fc2, let activation):
            try ShapeError.require(x, "X", columns: fc1.columns, " (the FFN's width E)")
            let hidden = x.applyingLinear(fc1)
            let activated = activation(hidden)
            let dActivated = try activated.linearBackward(weight: fc2, outputGradient: dOut, weightGradient: &gradients.fc2)
            let dHidden = try activation.backward(hidden, outputGradient: dActivated)
            return try x.linearBackward(weight: fc1, outputGradient: dHidden, weightGradient: &gradients.fc1)
        case .glu(let fc1, let gate, let fc2, let activation):
            try ShapeError.require(x, "X", columns: fc1.columns, " (the FFN's width E)")
            guard var dGateWeight = gradients.gate else {
                throw ShapeError(argument: "gate gradient", expected: "\(gate.shape) (the GLU's gate.weight)", got: "none")
            }
            let hidden = x.applyingLinear(fc1)
            let activated = activation(hidden)
            let gated = x.applyingLinear(gate)
            let product = activated.hadamard(gated)
            let dProduct = try product.linearBackward(weight: fc2, outputGradient: dOut, weightGradient: &gradients.fc2)
            let dHidden = try activation.backward(hidden, outputGradient: dProduct.hadamard(gated))
            var dX = try x.linearBackward(weight: fc1, outputGradient: dHidden, weightGradient: &gradients.fc1)
            dX += try x.linearBackward(weight: gate, outputGradient: dProduct.hadamard(activated),
                                       weightGradient: &dGateWeight)
            gradients.gate = dGateWeight
            return dX
        }
    }
}
