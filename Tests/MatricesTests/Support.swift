import Matrices
import Testing

// Helpers for the Matrices tests. They deliberately do not use `Deviation`, which is itself
// under test here: every comparison is a plain loop over the entries.

/// Unit roundoff of Double, 2⁻⁵³ (half the spacing of Doubles near 1).
let doubleUnitRoundoff = Double.ulpOfOne / 2

/// max_ij |a_ij − b_ij| and where it occurs, for matrices of one shape.
func largestDifference(_ a: Matrix<Double>, _ b: Matrix<Double>) -> (value: Double, row: Int, column: Int) {
    precondition(a.shape == b.shape)
    var worst = (value: 0.0, row: 0, column: 0)
    for i in 0..<a.rows {
        for j in 0..<a.columns {
            let d = abs(a[i, j] - b[i, j])
            if d.isNaN || d > worst.value { worst = (d.isNaN ? .infinity : d, i, j) }
        }
    }
    return worst
}

/// The complex version, measured by modulus.
func largestDifference(_ a: Matrix<Complex<Double>>, _ b: Matrix<Complex<Double>>) -> (value: Double, row: Int, column: Int) {
    precondition(a.shape == b.shape)
    var worst = (value: 0.0, row: 0, column: 0)
    for i in 0..<a.rows {
        for j in 0..<a.columns {
            let d = (a[i, j] - b[i, j]).length
            if d.isNaN || d > worst.value { worst = (d.isNaN ? .infinity : d, i, j) }
        }
    }
    return worst
}

/// Expects `got` within `bound` of `expected`, entry by entry, naming the worst entry on failure.
func expectClose(_ got: Matrix<Double>, _ expected: Matrix<Double>, within bound: Double, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    guard got.shape == expected.shape else {
        Issue.record("\(what): shape \(got.shape), expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    let worst = largestDifference(got, expected)
    #expect(worst.value <= bound,
            "\(what): |Δ| = \(worst.value) > \(bound) at [\(worst.row), \(worst.column)]: got \(got[worst.row, worst.column]), expected \(expected[worst.row, worst.column])",
            sourceLocation: sourceLocation)
}

func expectClose(_ got: Matrix<Complex<Double>>, _ expected: Matrix<Complex<Double>>, within bound: Double, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    guard got.shape == expected.shape else {
        Issue.record("\(what): shape \(got.shape), expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    let worst = largestDifference(got, expected)
    #expect(worst.value <= bound,
            "\(what): |Δ| = \(worst.value) > \(bound) at [\(worst.row), \(worst.column)]: got \(got[worst.row, worst.column]), expected \(expected[worst.row, worst.column])",
            sourceLocation: sourceLocation)
}

/// Entry-wise absolute value, for rounding-error bounds of the form γ_k |A||B|.
func absolute(_ a: Matrix<Double>) -> Matrix<Double> { a.map { abs($0) } }

/// The largest |entry|, computed without the library.
func largestEntry(_ a: Matrix<Double>) -> Double { a.storage.map { abs($0) }.max() ?? 0 }

/// A well-conditioned complex n×n matrix: I + (0.3/√n)·G with G complex Gaussian. ‖0.3 G/√n‖₂ is
/// about 0.3·2·√2 ≈ 0.85 at worst for large n and much smaller for small n, so κ(A) stays ≲ 12.
func wellConditioned(_ n: Int, using generator: inout SplitMix64) -> Matrix<Complex<Double>> {
    Matrix<Complex<Double>>.identity(n)
        + Matrix<Complex<Double>>.gaussian(rows: n, columns: n, scale: 0.3 / Double(n).squareRoot(), using: &generator)
}
