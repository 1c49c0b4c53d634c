import Matrices

/// The queries, keys and values of single-head retention (paper Eq. 5):
///
///     Q = (X W_Q) ⊙ Θ,   K = (X W_K) ⊙ Θ̄,   V = X W_V,   Θ_n = e^{inθ}
///
/// with complex numbers stored as real pairs, so that both ⊙ Θ and ⊙ Θ̄ are the pair rotation
/// of `PairRotation` (the conjugate lives in the transpose of Q Kᵀ). Row n of X is the token
/// at position n + offset; a decoder projects each token as it arrives, at its own position.
public struct RotatedProjections: Sendable {
    /// W_Q, W_K (d_model×d) and W_V (d_model×d_v).
    public let wQ: Matrix<Double>, wK: Matrix<Double>, wV: Matrix<Double>
    /// One angle θ_j per pair of columns of Q and K.
    public let theta: [Double]

    public init(wQ: Matrix<Double>, wK: Matrix<Double>, wV: Matrix<Double>, theta: [Double]) throws(ShapeError) {
        try ShapeError.require(wK, "W_K", rows: wQ.rows, columns: wQ.columns, " (W_K must match W_Q, \(wQ.shape))")
        try ShapeError.require(wV, "W_V", rows: wQ.rows, " (W_V maps the same inputs as W_Q)")
        guard wQ.columns % 2 == 0, theta.count * 2 == wQ.columns else {
            throw ShapeError(argument: "θ", expected: "\(wQ.columns / 2) angles for \(wQ.columns) columns (an even width)",
                             got: "\(theta.count) angles for \(wQ.columns) columns")
        }
        (self.wQ, self.wK, self.wV, self.theta) = (wQ, wK, wV, theta)
    }

    /// Random weights N(0, 1/d_model) from `generator`, with torchscale's angle schedule.
    public static func random(model: Int, key: Int, value: Int, using generator: inout SplitMix64) throws(ShapeError)
        -> RotatedProjections
    {
        let scale = 1 / Double(model).squareRoot()
        return try RotatedProjections(
            wQ: .gaussian(rows: model, columns: key, scale: scale, using: &generator),
            wK: .gaussian(rows: model, columns: key, scale: scale, using: &generator),
            wV: .gaussian(rows: model, columns: value, scale: scale, using: &generator),
            theta: PairRotation.torchscaleAngles(pairs: key / 2))
    }

    /// Q, K, V for the rows of X, row n at position n + offset.
    public func callAsFunction(_ x: Matrix<Double>, offset: Int = 0) throws(ShapeError)
        -> (q: Matrix<Double>, k: Matrix<Double>, v: Matrix<Double>)
    {
        try ShapeError.require(x, "X", columns: wQ.rows, " (d_model, the rows of W_Q)")
        return (try PairRotation.rotate(x * wQ, theta: theta, offset: offset),
                try PairRotation.rotate(x * wK, theta: theta, offset: offset),
                x * wV)
    }
}
