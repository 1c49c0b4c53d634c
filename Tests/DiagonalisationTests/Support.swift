import ComplexModule
import Matrices
import Testing

/// One random instance of chapter 02's setting.
struct DiagonalCase: CustomTestStringConvertible, Sendable {
    let n: Int, d: Int, dv: Int
    var testDescription: String { "n = \(n), d = \(d), d_v = \(dv)" }

    var generator: SplitMix64 { SplitMix64(seed: UInt64(10_000 + 1_000 * n + 100 * d + dv)) }

    /// Real Q, K ~ N(0, 1/d), V ~ N(0, 1).
    func inputs(using g: inout SplitMix64) -> (q: Matrix<Double>, k: Matrix<Double>, v: Matrix<Double>) {
        let s = 1 / Double(d).squareRoot()
        return (.gaussian(rows: n, columns: d, scale: s, using: &g), .gaussian(rows: n, columns: d, scale: s, using: &g),
                .gaussian(rows: n, columns: dv, using: &g))
    }

    static let all: [DiagonalCase] = [
        .init(n: 1, d: 1, dv: 1), .init(n: 4, d: 2, dv: 1), .init(n: 6, d: 4, dv: 2), .init(n: 10, d: 3, dv: 3),
        .init(n: 16, d: 6, dv: 1),
    ]
}

/// Eigenvalue magnitudes γ_j ∈ [0.5, 1) and phases θ_j ∈ [0, π), as chapter 02 draws them.
func randomSpectrum(_ d: Int, using g: inout SplitMix64) -> (gamma: [Double], theta: [Double]) {
    ((0..<d).map { _ in 0.5 + 0.5 * g.nextUnit() }, (0..<d).map { _ in Double.pi * g.nextUnit() })
}

/// A well-conditioned complex eigenvector matrix Λ = I + (0.3/√d)·G: ‖0.3·G/√d‖₂ ≲ 0.85, so κ(Λ) ≲ 12.
func randomEigenvectors(_ d: Int, using g: inout SplitMix64) -> Matrix<Complex<Double>> {
    .identity(d) + .gaussian(rows: d, columns: d, scale: 0.3 / Double(d).squareRoot(), using: &g)
}

/// Expects `got` within `relative` × max|expected| of `expected`, naming the worst entry on failure.
func expectClose(_ got: Matrix<Complex<Double>>, _ expected: Matrix<Complex<Double>>, relative: Double, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    guard got.shape == expected.shape else {
        Issue.record("\(what): shape \(got.shape), expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    let d = got.deviation(from: expected)
    #expect(d.maxRelative <= relative,
            "\(what): relative error \(d.maxRelative) > \(relative) (max |Δ| \(d.maxAbsolute)) at [\(d.at.row), \(d.at.column)]: got \(d.got), expected \(d.expected)",
            sourceLocation: sourceLocation)
}

func expectClose<E: RealScalar>(_ got: Matrix<E>, _ expected: Matrix<E>, relative: Double, _ what: String,
                                sourceLocation: SourceLocation = #_sourceLocation) {
    guard got.shape == expected.shape else {
        Issue.record("\(what): shape \(got.shape), expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    let d = got.deviation(from: expected)
    #expect(d.maxRelative <= relative,
            "\(what): relative error \(d.maxRelative) > \(relative) (max |Δ| \(d.maxAbsolute)) at [\(d.at.row), \(d.at.column)]: got \(d.got), expected \(d.expected)",
            sourceLocation: sourceLocation)
}

/// Expects `body` to throw a `ShapeError` about `argument`, whose `got` is `got` when given.
func expectShapeError(_ argument: String, got: String? = nil, _ what: String,
                      sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws(ShapeError) -> Void) {
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
