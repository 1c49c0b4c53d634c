import Matrices
import MultiScaleRetention

/// The feed-forward half of a block, applied to every row on its own:
///
///     paper:       FFN(X) = act(X W₁ᵀ) W₂ᵀ                       (Sec. 2.3: gelu(X W₁) W₂)
///     torchscale:  GLU(X) = (act(X W_fc1ᵀ) ⊙ X W_gateᵀ) W_fc2ᵀ    (fc2(act(fc1 x) ⊙ gate x))
///
/// W₁ = `ffn.fc1.weight` [F, E], `ffn.gate.weight` [F, E], W₂ = `ffn.fc2.weight` [E, F], all
/// [out, in] and without biases (torchscale's GLU has none; the paper writes none).
public enum FeedForward<E: RealScalar>: Sendable, Equatable {
    case plain(fc1: Matrix<E>, fc2: Matrix<E>, activation: Activation)
    case glu(fc1: Matrix<E>, gate: Matrix<E>, fc2: Matrix<E>, activation: Activation)

    public func callAsFunction(_ x: Matrix<E>) -> Matrix<E> {
        switch self {
        case .plain(let fc1, let fc2, let activation):
            return activation(x.applyingLinear(fc1)).applyingLinear(fc2)
        case .glu(let fc1, let gate, let fc2, let activation):
            return activation(x.applyingLinear(fc1)).hadamard(x.applyingLinear(gate)).applyingLinear(fc2)
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

    func validate(embed e: Int, hidden f: Int, field: String) throws(RetNetError) {
        func require(_ m: Matrix<E>, _ name: String, _ rows: Int, _ columns: Int, _ meaning: String) throws(RetNetError) {
            guard m.rows == rows && m.columns == columns else {
                throw .weight(field: "\(field).\(name).weight", expected: "\(rows)×\(columns) (\(meaning))", got: "\(m.shape)")
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
