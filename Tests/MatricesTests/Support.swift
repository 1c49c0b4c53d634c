import Matrices

// Helpers for the Matrices tests. Like TestSupport's expectations, they do not use `Deviation`,
// which is itself under test here.

/// Unit roundoff of Double, 2⁻⁵³ (half the spacing of Doubles near 1).
let doubleUnitRoundoff = Double.ulpOfOne / 2

/// Entry-wise absolute value, for rounding-error bounds of the form γ_k |A||B|.
func absolute(_ a: Matrix<Double>) -> Matrix<Double> { a.map { abs($0) } }

/// The largest |entry|, computed without the library.
func largestEntry(_ a: Matrix<Double>) -> Double { a.storage.map { abs($0) }.max() ?? 0 }
