import FastRetention
import Kernels
import Matrices
import Retention

/// How far a Float retention kernel may be from the exact outputs, and how far it is.
///
/// The reference is the `Retention` module's parallel form run in Double on the same Float
/// inputs (converted exactly), with the same γ. The scale of the rounding error is the same form
/// run on absolute values, M = (|Q| |K|ᵀ ⊙ D) |V|, entry by entry. Each term of an output
/// reaches it through at most R = 4n + d_k + 8 roundings — d_k in its inner product (or in
/// Q R), one or two for each power of γ and its multiplication (at most 2 per row in the
/// recurrent form, 3 per chunk in the chunkwise one), n in the sum over rows — so
///
///     |Ô − O| ≤ γ_R M componentwise,    γ_R = R u / (1 − R u),   u = 2⁻²⁴.
public struct RetentionAccuracy: Sendable {
    /// The outputs, in Double.
    public let reference: Matrix<Double>
    /// M, the componentwise scale.
    public let magnitude: Matrix<Double>
    /// The recurrent state S after the last row, in Double, and its scale Σ_m γ^{n−1−m} |K_m|ᵀ |V_m|
    /// (the same recurrence on absolute values): the state a kernel hands on is held to the bound too.
    public let state: Matrix<Double>
    public let stateMagnitude: Matrix<Double>
    /// γ_R, the largest allowed |Ô − O| / M.
    public let bound: Double

    public init(q: Matrix<Float>, k: Matrix<Float>, v: Matrix<Float>, decay: Decay<Float>) throws(RetentionError) {
        let gamma = try Decay(Double(decay.gamma))
        let (qd, kd, vd) = (q.converted(to: Double.self), k.converted(to: Double.self), v.converted(to: Double.self))
        let (qa, ka, va) = (qd.map(Swift.abs), kd.map(Swift.abs), vd.map(Swift.abs))
        reference = try ParallelRetention.outputs(q: qd, k: kd, v: vd, decay: gamma)
        magnitude = try ParallelRetention.outputs(q: qa, k: ka, v: va, decay: gamma)
        state = try RecurrentRetention.outputs(q: qd, k: kd, v: vd, decay: gamma).state.s
        stateMagnitude = try RecurrentRetention.outputs(q: qa, k: ka, v: va, decay: gamma).state.s
        bound = GEMMAccuracy.gamma(4 * q.rows + q.columns + 8, unit: 0x1p-24)
    }

    /// max |Ô − O| / M over the entries (an entry with M = 0 must be exact; NaN or a wrong shape
    /// gives +∞), and where.
    public func error(of outputs: Matrix<Float>) -> (ratio: Double, row: Int, column: Int) {
        Self.worst(outputs, reference, magnitude)
    }

    /// The same measure for a kernel's state after the last row, against `state` and its scale.
    public func stateError(of got: RetentionKernelState) -> (ratio: Double, row: Int, column: Int) {
        Self.worst(Matrix(rows: got.keyDimension, columns: got.valueDimension, entries: got.s), state, stateMagnitude)
    }

    /// max |got − exact| / scale over the entries, and where.
    private static func worst(_ got: Matrix<Float>, _ exact: Matrix<Double>, _ scale: Matrix<Double>)
        -> (ratio: Double, row: Int, column: Int)
    {
        guard got.shape == exact.shape else { return (.infinity, 0, 0) }
        var worst = (ratio: 0.0, row: 0, column: 0)
        for i in 0..<got.rows {
            for j in 0..<got.columns {
                let difference = Swift.abs(Double(got[i, j]) - exact[i, j])
                let ratio = difference == 0 ? 0 : scale[i, j] == 0 || difference.isNaN
                    ? .infinity : difference / scale[i, j]
                if ratio > worst.ratio { worst = (ratio, i, j) }
            }
        }
        return worst
    }
}
