import Matrices

/// Content-aware projections (Eq. 2): the query and key of step n are computed from its input,
/// Q = X W_Q, K = X W_K (and V = X W_V), so what the state stores depends on the content.
public struct Projections<E: AlgebraicField> {
    public let wQ: Matrix<E>
    public let wK: Matrix<E>
    public let wV: Matrix<E>

    /// Weights W_Q, W_K (d_model×d) and W_V (d_model×d_v).
    public init(wQ: Matrix<E>, wK: Matrix<E>, wV: Matrix<E>) throws(ShapeError) {
        try ShapeError.require(wK, "W_K", rows: wQ.rows, columns: wQ.columns, " (W_K must match W_Q, \(wQ.shape))")
        try ShapeError.require(wV, "W_V", rows: wQ.rows, " (W_V maps the same inputs as W_Q)")
        self.wQ = wQ
        self.wK = wK
        self.wV = wV
    }

    /// Q, K, V for a whole sequence X (n×d_model) at once.
    public func callAsFunction(_ x: Matrix<E>) throws(ShapeError) -> (q: Matrix<E>, k: Matrix<E>, v: Matrix<E>) {
        try ShapeError.require(x, "X", columns: wQ.rows, " (d_model, the rows of W_Q)")
        return (x * wQ, x * wK, x * wV)
    }

    /// Runs the recurrence as a decoder would: each input row is projected when it arrives,
    /// then written into the state. Nothing about the future is needed at step n.
    public func streamingOutputs(_ x: Matrix<E>, transition a: Matrix<E>) throws(ShapeError) -> Matrix<E> {
        try ShapeError.require(x, "X", columns: wQ.rows, " (d_model, the rows of W_Q)")
        try ShapeError.require(a, "A", rows: wQ.columns, columns: wQ.columns, " (d×d with d = \(wQ.columns))")
        var state = Matrix<E>(rows: wQ.columns, columns: wV.columns)
        var out = Matrix<E>(rows: x.rows, columns: wV.columns)
        for n in 0..<x.rows {
            let xn = x.row(n)
            state = a * state + (xn * wK).transposed * (xn * wV)
            out.setRows(from: n, to: (xn * wQ) * state)
        }
        return out
    }
}
