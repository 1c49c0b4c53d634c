import Matrices

/// The gradients of a scalar loss L with respect to everything one retention head reads: what
/// each form's `backward` returns, given dO = ∂L/∂O (n×d_v), the gradient of L with respect to
/// the head's outputs.
///
/// Retention is linear in Q, in K, in V and in the starting state, each taken alone (the outputs
/// are sums of products Q_n K_mᵀ V_m γ^{n−m} and Q_n γ^{n+1} S_{−1}), so these gradients are
/// again sums of such products, and every backward pass is a handful of matrix products with
/// the same decays as its forward pass: no autodiff framework, nothing hidden. The three forms
/// return the same gradients up to rounding, as their forward passes return the same outputs.
public struct RetentionGradients<E: RealScalar>: Equatable, Sendable {
    /// ∂L/∂Q (n×d_k).
    public var dQ: Matrix<E>
    /// ∂L/∂K (n×d_k).
    public var dK: Matrix<E>
    /// ∂L/∂V (n×d_v).
    public var dV: Matrix<E>
    /// ∂L/∂S_{−1} (d_k×d_v): the gradient for the state the sequence started from. After a
    /// prefill → decode hand-off, the decode's `dState` is the prefill's final-state gradient,
    /// so the chain rule runs through the hand-off as the state did.
    public var dState: Matrix<E>

    public init(dQ: Matrix<E>, dK: Matrix<E>, dV: Matrix<E>, dState: Matrix<E>) {
        self.dQ = dQ
        self.dK = dK
        self.dV = dV
        self.dState = dState
    }
}

/// The shape checks of the backward passes, beside the forward ones so that all forms reject
/// the same gradients with the same words.
extension RetentionInput {
    /// Every check of a backward pass, in one order for all forms: Q, K and V as in the forward
    /// pass, then the starting state, dO and the final-state gradient. Returns the starting
    /// state, the zero state when `state` is nil.
    @discardableResult
    package static func check<E>(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, state: RetentionState<E>?,
                                 outputGradient: Matrix<E>, finalStateGradient: Matrix<E>?)
        throws(RetentionError) -> RetentionState<E>
    {
        try check(q: q, k: k, v: v)
        let (dk, dv) = (q.columns, v.columns)
        let start = state ?? RetentionState(keyDimension: dk, valueDimension: dv)
        try check(state: start, keyDimension: dk, valueDimension: dv)
        try check(outputGradient: outputGradient, length: q.rows, valueDimension: dv)
        if let finalStateGradient {
            try check(finalStateGradient: finalStateGradient, keyDimension: dk, valueDimension: dv)
        }
        return start
    }

    /// dO must have the outputs' shape: n rows (one per row of Q) and d_v columns (V's).
    package static func check<E>(outputGradient: Matrix<E>, length n: Int, valueDimension dv: Int)
        throws(RetentionError)
    {
        let expected = Shape(rows: n, columns: dv)
        guard outputGradient.shape == expected else {
            throw .shape(ShapeError(argument: "dO", expected: "\(expected) (the shape of the outputs, n×d_v)",
                                    got: "\(outputGradient.shape)"))
        }
    }

    /// A gradient for the final state must have the state's shape, d_k×d_v.
    package static func check<E>(finalStateGradient: Matrix<E>, keyDimension dk: Int, valueDimension dv: Int)
        throws(RetentionError)
    {
        let expected = Shape(rows: dk, columns: dv)
        guard finalStateGradient.shape == expected else {
            throw .shape(ShapeError(argument: "final-state gradient",
                                    expected: "\(expected) (the shape of the state, d_k×d_v from K and V)",
                                    got: "\(finalStateGradient.shape)"))
        }
    }
}
