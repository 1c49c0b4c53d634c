import Kernels
import Matrices
import Retention

/// The recurrent state S (d_k×d_v, row-major Floats) and position of one retention head, for
/// the SIMD kernels: the same quantity as the reference `RetentionState`,
///
///     S_n = γ S_{n−1} + K_nᵀ V_n = Σ_{m≤n} γ^{n−m} K_mᵀ V_m,
///
/// in flat storage that a decoding step updates in place. Convert from and to the reference
/// state to hand a state between the two implementations.
public struct RetentionKernelState: Equatable, Sendable {
    /// d_k, the rows of S.
    public let keyDimension: Int
    /// d_v, the columns of S.
    public let valueDimension: Int
    /// S, row after row: entry (i, j) at i·d_v + j. The package's fast model writes it in place.
    public package(set) var s: [Float]
    /// How many tokens S has consumed (the position of the next token).
    public package(set) var position: Int

    /// The zero state S_{−1} = 0 at position 0; throws `.shape` for a negative dimension.
    public init(keyDimension: Int, valueDimension: Int) throws(RetentionError) {
        guard keyDimension >= 0, valueDimension >= 0 else {
            throw .shape(ShapeError(argument: "state", expected: "d_k, d_v ≥ 0", got: "\(keyDimension)×\(valueDimension)"))
        }
        self.init(zeroKeyDimension: keyDimension, valueDimension: valueDimension)
    }

    /// The zero state for dimensions the caller has checked (≥ 0).
    package init(zeroKeyDimension keyDimension: Int, valueDimension: Int) {
        self.keyDimension = keyDimension
        self.valueDimension = valueDimension
        s = [Float](repeating: 0, count: keyDimension * valueDimension)
        position = 0
    }

    /// The reference state's S and position, copied.
    public init(_ state: RetentionState<Float>) {
        keyDimension = state.keyDimension
        valueDimension = state.valueDimension
        s = state.s.storage
        position = state.position
    }

    /// d_k×d_v, the shape of S.
    var shape: Shape { Shape(rows: keyDimension, columns: valueDimension) }

    /// `state`, or the zero state when nil.
    static func starting(from state: RetentionKernelState?, keyDimension: Int, valueDimension: Int)
        throws(RetentionError) -> RetentionKernelState
    {
        if let state { return state }
        return try RetentionKernelState(keyDimension: keyDimension, valueDimension: valueDimension)
    }

    /// This state as a reference `RetentionState`, to hand to the reference forms.
    public var reference: RetentionState<Float> {
        RetentionState(s: Matrix(rows: keyDimension, columns: valueDimension, entries: s), position: position)
    }
}
