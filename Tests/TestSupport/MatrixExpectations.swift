import Matrices
import Testing

// Expectations on matrices shared by the test targets: each failure says what was compared,
// how far off it is, where the worst entry is, and the tolerance it broke.
//
// The entries are compared by a plain loop (`Difference`), not by the library's `Deviation`:
// the Matrices tests check `Deviation` itself with these helpers.

/// The largest entry-wise difference of two matrices of one shape, where it is, and the size of
/// the expected answer.
struct Difference {
    /// max_ij |got_ij − expected_ij|; ∞ when a NaN or ∞ is involved.
    var largest = 0.0
    /// Where `largest` is (the first such entry).
    var row = 0, column = 0
    /// max_ij |expected_ij|; ∞ when `expected` holds a NaN.
    var scale = 0.0

    /// Compares entry by entry, measuring each difference and entry with `magnitude`.
    init<E>(_ got: Matrix<E>, _ expected: Matrix<E>, magnitude: (E) -> Double) {
        precondition(got.shape == expected.shape, "Difference needs one shape: \(got.shape) vs \(expected.shape)")
        for i in 0..<got.rows {
            for j in 0..<got.columns {
                let size = magnitude(expected[i, j])
                scale = max(scale, size.isNaN ? .infinity : size)
                let d = magnitude(got[i, j] - expected[i, j])
                let difference = d.isNaN ? Double.infinity : d
                if difference > largest { (largest, row, column) = (difference, i, j) }
            }
        }
    }

    /// `largest / scale`: 0 when the matrices are equal, ∞ when a NaN or ∞ is involved.
    var relative: Double {
        largest == 0 ? 0 : largest.isInfinite ? .infinity : largest / max(scale, Double.leastNormalMagnitude)
    }
}

/// max |got − expected| / max |expected|: ∞ for a shape mismatch or a NaN or ∞ in `got`, 0 for
/// empty matrices. For checks that expect a *large* error; `expectClose` for the others.
public func relativeError<E: RealScalar>(_ got: Matrix<E>, _ expected: Matrix<E>) -> Double {
    guard got.shape == expected.shape else { return .infinity }
    return Difference(got, expected, magnitude: { Double(Swift.abs($0)) }).relative
}

/// One measured comparison: what `expectClose` found, for a test that keeps the worst case.
public struct Measured: Sendable {
    /// The error in the comparison's own measure (relative or absolute).
    public let error: Double
    /// Whether the relative error's denominator was raised to T/10 (the answer was mostly
    /// cancellation; see `expectClose(_:_:relative:_:terms:)`).
    public let floored: Bool
    /// The worst entry and the scale, for a failure message.
    public let detail: String
}

/// Expects `got` to match `expected` to `bound` relative error, max |got − expected| / max |expected|,
/// and returns the measurement.
///
/// - Parameters:
///   - terms: for answers that may be mostly cancellation, the size T of the terms each entry
///     sums. A relative error only means something when the answer is about as large as those
///     terms: when the d products of a dot product nearly cancel, max |expected| is tiny while the
///     rounding errors are set by the terms, and the relative error is unbounded in any precision.
///     So when the plain error comes within a factor 10 of `bound`, T is computed and the
///     denominator becomes max(max |expected|, T/10): unchanged unless cancellation made the
///     answer over ten times smaller than its terms. Without `terms` (or far inside the bound,
///     where T is never computed) the error is the plain relative error.
@discardableResult
public func expectClose<E: RealScalar>(_ got: Matrix<E>, _ expected: Matrix<E>, relative bound: Double,
                                       _ what: String, terms: (() -> Double)? = nil,
                                       sourceLocation: SourceLocation = #_sourceLocation) -> Measured {
    expectRelative(got, expected, bound, what, terms, sourceLocation, magnitude: { Double(Swift.abs($0)) })
}

/// Expects complex `got` to match `expected` to `bound` relative error (differences by modulus).
@discardableResult
public func expectClose(_ got: Matrix<Complex<Double>>, _ expected: Matrix<Complex<Double>>, relative bound: Double,
                        _ what: String, sourceLocation: SourceLocation = #_sourceLocation) -> Measured {
    expectRelative(got, expected, bound, what, nil, sourceLocation, magnitude: { $0.length })
}

/// Expects every entry of `got` within `bound` of `expected`: max |got − expected| ≤ bound, for
/// bounds derived from the sizes of the operands (γ_k |A| |B| and the like).
@discardableResult
public func expectClose(_ got: Matrix<Double>, _ expected: Matrix<Double>, absolute bound: Double, _ what: String,
                        sourceLocation: SourceLocation = #_sourceLocation) -> Measured {
    expectAbsolute(got, expected, bound, what, sourceLocation, magnitude: { Swift.abs($0) })
}

/// Expects every entry of complex `got` within `bound` of `expected`, by modulus.
@discardableResult
public func expectClose(_ got: Matrix<Complex<Double>>, _ expected: Matrix<Complex<Double>>, absolute bound: Double,
                        _ what: String, sourceLocation: SourceLocation = #_sourceLocation) -> Measured {
    expectAbsolute(got, expected, bound, what, sourceLocation, magnitude: { $0.length })
}

private func expectRelative<E>(_ got: Matrix<E>, _ expected: Matrix<E>, _ bound: Double, _ what: String,
                               _ terms: (() -> Double)?, _ sourceLocation: SourceLocation,
                               magnitude: (E) -> Double) -> Measured {
    expectMeasured(got, expected, bound, what, sourceLocation, magnitude: magnitude) { d in
        var error = d.relative, floored = false
        var sizes = "max |Δ| \(Format.scientific(d.largest, 2)), max |expected| \(Format.scientific(d.scale, 2))"
        if error > bound / 10, error.isFinite, let terms {
            let t = terms()
            if d.scale < t / 10 {
                error = d.largest / (t / 10)
                floored = true
                sizes += ", floored to T/10 = \(Format.scientific(t / 10, 2)) (cancellation)"
            }
        }
        return (error, floored, "relative error \(Format.scientific(error, 2))", sizes)
    }
}

private func expectAbsolute<E>(_ got: Matrix<E>, _ expected: Matrix<E>, _ bound: Double, _ what: String,
                               _ sourceLocation: SourceLocation, magnitude: (E) -> Double) -> Measured {
    expectMeasured(got, expected, bound, what, sourceLocation, magnitude: magnitude) { d in
        (d.largest, false, "|Δ| \(Format.scientific(d.largest, 2))", "max |expected| \(Format.scientific(d.scale, 2))")
    }
}

/// Compares, expects the error within `bound`, and describes the worst entry: `measure` turns
/// the difference into the comparison's error, whether it was floored, the error's name, and
/// the sizes it was measured against.
private func expectMeasured<E>(_ got: Matrix<E>, _ expected: Matrix<E>, _ bound: Double, _ what: String,
                               _ sourceLocation: SourceLocation, magnitude: (E) -> Double,
                               measure: (Difference) -> (Double, Bool, String, String)) -> Measured {
    let m: Measured
    if got.shape != expected.shape {
        m = Measured(error: .infinity, floored: false, detail: "shape \(got.shape), expected \(expected.shape)")
    } else if got.storage.isEmpty {
        m = Measured(error: 0, floored: false, detail: "empty \(got.shape)")
    } else {
        let d = Difference(got, expected, magnitude: magnitude)
        let (error, floored, name, sizes) = measure(d)
        m = Measured(error: error, floored: floored, detail: """
            \(name) at [\(d.row), \(d.column)]: got \(got[d.row, d.column]), expected \(expected[d.row, d.column]) (\(sizes))
            """)
    }
    #expect(m.error <= bound, "\(what): \(m.detail), over the tolerance \(Format.scientific(bound, 1))",
            sourceLocation: sourceLocation)
    return m
}

/// Expects `body` to throw a `ShapeError` about `argument`, whose `got` is `got` when given.
public func expectShapeError(_ argument: String, got: String? = nil, _ what: String,
                             sourceLocation: SourceLocation = #_sourceLocation,
                             _ body: () throws(ShapeError) -> Void) {
    do {
        try body()
        Issue.record("\(what): no ShapeError thrown (expected one about \(argument))", sourceLocation: sourceLocation)
    } catch {
        #expect(error.argument == argument, "\(what): error names \(error.argument), expected \(argument) — \(error)",
                sourceLocation: sourceLocation)
        if let got {
            #expect(error.got == got, "\(what): error reports \(error.got), expected \(got) — \(error)",
                    sourceLocation: sourceLocation)
        }
    }
}

/// Expects a fast Float computation to be as close to the Double model (`exact`) as the Float
/// reference is: its relative error within 4× the reference's, plus 1e-6 for cases where the
/// reference happens to be almost exact. The fast code differs from the Float reference by
/// rounding only (fused multiply–adds, other block orders, `VectorMath`'s exp and erf within a
/// few ulp), so its error is of the reference's own order; a real mistake (a wrong position, a
/// missing key or state) moves the result by orders of magnitude more. Returns both errors.
@discardableResult
public func expectAsCloseAsFloatReference(_ fast: Matrix<Float>, reference: Matrix<Float>, exact: Matrix<Double>,
                                          _ what: String, sourceLocation: SourceLocation = #_sourceLocation)
    -> (fast: Double, reference: Double)
{
    let fastError = relativeError(fast.map(Double.init), exact)
    let referenceError = relativeError(reference.map(Double.init), exact)
    #expect(fastError <= 4 * referenceError + 1e-6, "\(what): fast \(fastError) vs Float reference \(referenceError)",
            sourceLocation: sourceLocation)
    return (fastError, referenceError)
}
