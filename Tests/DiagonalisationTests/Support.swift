import Matrices
import TestSupport
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
