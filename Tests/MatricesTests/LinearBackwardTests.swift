import Matrices
import TestSupport
import Testing

/// `linearBackward` against the products it stands for, dX = dY W and dW = dYᵀ X, and its
/// accumulation: a weight used twice receives both gradients.
@Suite("Linear backward (x Wᵀ)")
struct LinearBackwardTests {
    /// The same products summed in a different order (the reference `*`): they agree to a few
    /// ulps of the terms; entries are O(1) sums of ≤ 5 products of O(1) numbers, so 1e-14
    /// relative is hundreds of ulps of margin, and a transposed or missing term is off by O(1).
    @Test("dX = dY W, dW = dYᵀ X, added into dW")
    func products() throws {
        var rng = SplitMix64(seed: 7)
        let x = Matrix<Double>.gaussian(rows: 4, columns: 5, using: &rng)
        let w = Matrix<Double>.gaussian(rows: 3, columns: 5, using: &rng)
        let dY = Matrix<Double>.gaussian(rows: 4, columns: 3, using: &rng)
        let start = Matrix<Double>.gaussian(rows: 3, columns: 5, using: &rng)
        var dW = start
        let dX = try x.linearBackward(weight: w, outputGradient: dY, weightGradient: &dW)
        expectClose(dX, dY * w, relative: 1e-14, "dX")
        expectClose(dW, start + dY.transposed * x, relative: 1e-14, "dW added to what it held")
        _ = try x.linearBackward(weight: w, outputGradient: dY, weightGradient: &dW)
        expectClose(dW, start + 2 * (dY.transposed * x), relative: 1e-14, "dW after two uses")
    }

    @Test("shapes that do not fit throw, naming the argument")
    func shapes() {
        let x = Matrix<Double>(rows: 2, columns: 3), w = Matrix<Double>(rows: 4, columns: 3)
        var dW = Matrix<Double>(rows: 4, columns: 3)
        expectShapeError("W", "W of another in-size") { () throws(ShapeError) in
            _ = try x.linearBackward(weight: Matrix(rows: 4, columns: 2), outputGradient: Matrix(rows: 2, columns: 4),
                                     weightGradient: &dW)
        }
        expectShapeError("dY", "dY of another shape") { () throws(ShapeError) in
            _ = try x.linearBackward(weight: w, outputGradient: Matrix(rows: 2, columns: 3), weightGradient: &dW)
        }
        var wrong = Matrix<Double>(rows: 3, columns: 4)
        expectShapeError("dW", "dW shaped like Wᵀ") { () throws(ShapeError) in
            _ = try x.linearBackward(weight: w, outputGradient: Matrix(rows: 2, columns: 4), weightGradient: &wrong)
        }
    }
}
