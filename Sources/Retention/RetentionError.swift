import Matrices

/// Bad input to retention: a decay outside (0, 1], a chunk size below 1, or a matrix (or state)
/// whose shape does not fit the others.
///
/// Every public function that takes a reader's data (γ, B, Q, K, V, a state, sizes) throws one
/// of these instead of trapping, and each message names the argument, what the math needs and
/// what was given, so a reader who passes a 4×3 K beside a 5×3 Q learns exactly that. (The few
/// preconditions left are programming errors with no data behind them: a negative power of γ,
/// a negative mask size or state width.)
public enum RetentionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// γ outside (0, 1], or NaN. Stored as `Double` so one error type serves Float and Double.
    ///
    /// γ ≤ 0 is not a decay (γ = 0 keeps no memory at all, and a negative γ flips the sign of
    /// every other term), and γ > 1 makes γ^{n−m} grow without bound, so the recurrence
    /// S_n = γ S_{n−1} + K_nᵀ V_n would be unstable. NaN compares false with everything, so it
    /// is caught by asking for 0 < γ ≤ 1 rather than rejecting the bad ranges one by one.
    case gamma(Double)
    /// A chunk size B < 1: a chunk must hold at least one token.
    case chunkSize(Int)
    /// A matrix or state of the wrong shape; the wrapped error names which and both shapes.
    case shape(ShapeError)

    public var description: String {
        switch self {
        case .gamma(let value):
            return "γ (gamma) must be in (0, 1], got \(value)"
        case .chunkSize(let value):
            return "chunk size B must be ≥ 1, got \(value)"
        case .shape(let error):
            return error.description
        }
    }

    /// Two errors are equal when they report the same problem. Written by hand only because
    /// NaN ≠ NaN: the synthesised `==` would make `.gamma(.nan)` unequal to itself, and a test
    /// could then never expect that exact error.
    public static func == (a: RetentionError, b: RetentionError) -> Bool {
        switch (a, b) {
        case (.gamma(let x), .gamma(let y)): return x == y || (x.isNaN && y.isNaN)
        case (.chunkSize(let x), .chunkSize(let y)): return x == y
        case (.shape(let x), .shape(let y)): return x == y
        default: return false
        }
    }
}

/// The shape checks shared by the three forms, in one place so that they all reject the same
/// inputs with the same words.
package enum RetentionInput {
    /// K must have Q's shape, n×d_k.
    package static func check<E>(q: Matrix<E>, k: Matrix<E>) throws(RetentionError) {
        guard k.shape == q.shape else {
            throw .shape(ShapeError(argument: "K", expected: "\(q.shape) (the shape of Q, n×d_k)", got: "\(k.shape)"))
        }
    }

    /// K must have Q's shape (n×d_k) and V must have n rows (any d_v).
    package static func check<E>(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>) throws(RetentionError) {
        try check(q: q, k: k)
        guard v.rows == q.rows else {
            throw .shape(ShapeError(argument: "V", expected: "\(q.rows) rows (one per row of Q, n×d_v)",
                                    got: "\(v.shape)"))
        }
    }

    /// A state to resume from must be d_k×d_v for the d_k of Q/K and the d_v of V.
    package static func check<E>(state: RetentionState<E>, keyDimension: Int, valueDimension: Int) throws(RetentionError) {
        try check(stateShape: state.s.shape, keyDimension: keyDimension, valueDimension: valueDimension)
    }

    /// The same check on the shape of S alone, for states stored otherwise (the SIMD kernels'
    /// flat Floats).
    package static func check(stateShape: Shape, keyDimension: Int, valueDimension: Int) throws(RetentionError) {
        let expected = Shape(rows: keyDimension, columns: valueDimension)
        guard stateShape == expected else {
            throw .shape(ShapeError(argument: "state", expected: "\(expected) (d_k×d_v from K and V)", got: "\(stateShape)"))
        }
    }
}
