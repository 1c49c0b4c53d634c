import Matrices
import Tracing

/// The feed-forward half of a block, applied to every row on its own:
///
///     paper:       FFN(X) = act(X W₁ᵀ) W₂ᵀ                       (Sec. 2.3: gelu(X W₁) W₂)
///     torchscale:  GLU(X) = (act(X W_fc1ᵀ) ⊙ X W_gateᵀ) W_fc2ᵀ    (fc2(act(fc1 x) ⊙ gate x))
///
/// W₁ = `ffn.fc1.weight` [F, E], `ffn.gate.weight` [F, E], W₂ = `ffn.fc2.weight` [E, F], all
/// [out, in] and without biases (torchscale's GLU has none; the paper writes none) unless the
/// caller passes `FeedForwardBiases` (yet-another-retnet's).
public enum FeedForward<E: RealScalar>: Sendable, Equatable {
    case plain(fc1: Matrix<E>, fc2: Matrix<E>, activation: Activation)
    case glu(fc1: Matrix<E>, gate: Matrix<E>, fc2: Matrix<E>, activation: Activation)

    /// FFN(x) for every row of x (n×E).
    ///
    /// With a `trace`, records the steps in a group named by the formula, with torchscale's names
    /// for the GLU's linear maps (fc1, gate, fc2) and the paper's for the plain FFN (W₁, W₂), the
    /// weights in the paper's orientation as parameters, and x found by content (see `Tracer`).
    /// With `biases`, b₁ is added before the activation and b₂ to the output (shapes are the
    /// caller's to check: `FeedForwardBiases.validate`).
    public func callAsFunction(_ x: Matrix<E>, biases: FeedForwardBiases<E>? = nil, trace: Tracer<E>? = nil) -> Matrix<E> {
        switch self {
        case .plain(let fc1, let fc2, let activation):
            let hidden = x.applyingLinear(fc1, bias: biases?.fc1)
            let activated = activation(hidden)
            let out = activated.applyingLinear(fc2, bias: biases?.fc2)
            if let trace {
                let act = activation.rawValue
                let xID = trace.node(for: x, symbol: "x")
                trace.enterGroup("FFN: \(act)(x W₁) W₂")
                let w1 = trace.leaf("W₁", role: .parameter, value: fc1.transposed)
                let h = trace.record(.projection, "x W₁", inputs: [xID, w1], value: hidden)
                let a = trace.record(.activation, "\(act)(x W₁)", inputs: [h], value: activated)
                let w2 = trace.leaf("W₂", role: .parameter, value: fc2.transposed)
                trace.record(.projection, "FFN(x)", "\(act)(x W₁) W₂", inputs: [a, w2], value: out)
                trace.leaveGroup()
            }
            return out
        case .glu(let fc1, let gate, let fc2, let activation):
            let hidden = x.applyingLinear(fc1, bias: biases?.fc1)
            let activated = activation(hidden)
            let gated = x.applyingLinear(gate)
            let product = activated.hadamard(gated)
            let out = product.applyingLinear(fc2, bias: biases?.fc2)
            if let trace {
                let act = activation.rawValue
                let xID = trace.node(for: x, symbol: "x")
                trace.enterGroup("FFN (GLU): fc2(\(act)(fc1 x) ⊙ gate x)")
                let w1 = trace.leaf("W_fc1", role: .parameter, value: fc1.transposed)
                let h = trace.record(.projection, "fc1 x", inputs: [xID, w1], value: hidden)
                let a = trace.record(.activation, "\(act)(fc1 x)", inputs: [h], value: activated)
                let wGate = trace.leaf("W_gate", role: .parameter, value: gate.transposed)
                let g = trace.record(.projection, "gate x", inputs: [xID, wGate], value: gated)
                let p = trace.record(.hadamard, "\(act)(fc1 x) ⊙ gate x", inputs: [a, g], value: product)
                let w2 = trace.leaf("W_fc2", role: .parameter, value: fc2.transposed)
                trace.record(.projection, "FFN(x)", "fc2(…)", inputs: [p, w2], value: out)
                trace.leaveGroup()
            }
            return out
        }
    }

    /// The FFN in another precision.
    public func converted<Other: RealScalar>(to _: Other.Type = Other.self) -> FeedForward<Other> {
        switch self {
        case .plain(let fc1, let fc2, let a): .plain(fc1: fc1.converted(), fc2: fc2.converted(), activation: a)
        case .glu(let fc1, let gate, let fc2, let a):
            .glu(fc1: fc1.converted(), gate: gate.converted(), fc2: fc2.converted(), activation: a)
        }
    }

    package func validate(embed e: Int, hidden f: Int, field: String) throws(ShapeError) {
        func require(_ m: Matrix<E>, _ name: String, _ rows: Int, _ columns: Int, _ meaning: String) throws(ShapeError) {
            guard m.rows == rows && m.columns == columns else {
                throw ShapeError(argument: "\(field).\(name).weight", expected: "\(rows)×\(columns) (\(meaning))", got: "\(m.shape)")
            }
        }
        switch self {
        case .plain(let fc1, let fc2, _):
            try require(fc1, "fc1", f, e, "[F, E]")
            try require(fc2, "fc2", e, f, "[E, F]")
        case .glu(let fc1, let gate, let fc2, _):
            try require(fc1, "fc1", f, e, "[F, E]")
            try require(gate, "gate", f, e, "[F, E]")
            try require(fc2, "fc2", e, f, "[E, F]")
        }
    }
}
