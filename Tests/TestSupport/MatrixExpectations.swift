import Matrices
import Testing

// Expectations on matrices shared by the test targets: each failure says what was compared,
// how far off it is, where the worst entry is, and the bound it broke.

/// max |got − expected| / max |expected|: ∞ for a shape mismatch or a non-finite entry, 0 for
/// empty matrices.
public func relativeError<E: RealScalar>(_ got: Matrix<E>, _ expected: Matrix<E>) -> Double {
    guard got.shape == expected.shape else { return .infinity }
    if got.storage.isEmpty { return 0 }
    guard got.isFinite else { return .infinity }
    return got.deviation(from: expected).maxRelative
}

/// Expects `got` to match `expected` to `relative` × max |expected|.
public func expectClose<E: RealScalar>(_ got: Matrix<E>, _ expected: Matrix<E>, relative bound: Double, _ what: String,
                                       sourceLocation: SourceLocation = #_sourceLocation) {
    guard got.shape == expected.shape else {
        Issue.record("\(what): shape \(got.shape), expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    let error = relativeError(got, expected)
    let worst = got.storage.isEmpty ? nil : got.deviation(from: expected)
    #expect(error <= bound, """
        \(what): max relative error \(Format.scientific(error, 2)) exceeds \(Format.scientific(bound, 1))\
        \(worst.map { " at [\($0.at.row), \($0.at.column)]: got \($0.got), expected \($0.expected)" } ?? "")
        """, sourceLocation: sourceLocation)
}

/// Expects complex `got` to match `expected` to `relative` × max |expected| (differences by modulus).
public func expectClose(_ got: Matrix<Complex<Double>>, _ expected: Matrix<Complex<Double>>, relative bound: Double,
                        _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    guard got.shape == expected.shape else {
        Issue.record("\(what): shape \(got.shape), expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    let d = got.deviation(from: expected)
    #expect(d.maxRelative <= bound, """
        \(what): max relative error \(Format.scientific(d.maxRelative, 2)) exceeds \(Format.scientific(bound, 1)) \
        at [\(d.at.row), \(d.at.column)]: got \(d.got), expected \(d.expected)
        """, sourceLocation: sourceLocation)
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
