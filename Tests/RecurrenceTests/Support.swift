import Matrices
import TestSupport
import Testing

/// One random instance of chapter 01's setting: Q, K (n×d), V (n×d_v) and a contractive A (d×d).
struct RecurrenceCase: CustomTestStringConvertible, Sendable {
    let n: Int, d: Int, dv: Int
    var testDescription: String { "n = \(n), d = \(d), d_v = \(dv)" }

    /// Seeded by the shape, scaled as chapter 01 scales them: Q, K ~ N(0, 1/d), V ~ N(0, 1),
    /// A ~ N(0, 0.25/d) (spectral radius about 0.5, so Aᵏ shrinks and outputs stay O(1)).
    func inputs<E: RealScalar>(_: E.Type = Double.self) -> (q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, a: Matrix<E>) {
        var generator = SplitMix64(seed: UInt64(1_000 * n + 100 * d + dv))
        let s = 1 / Double(d).squareRoot()
        let q = Matrix<E>.gaussian(rows: n, columns: d, scale: s, using: &generator)
        let k = Matrix<E>.gaussian(rows: n, columns: d, scale: s, using: &generator)
        let v = Matrix<E>.gaussian(rows: n, columns: dv, using: &generator)
        let a = Matrix<E>.gaussian(rows: d, columns: d, scale: 0.5 * s, using: &generator)
        return (q, k, v, a)
    }

    /// The shapes every property is tried on: single steps, single columns, and wider cases.
    static let all: [RecurrenceCase] = [
        .init(n: 1, d: 1, dv: 1), .init(n: 1, d: 3, dv: 2), .init(n: 2, d: 2, dv: 1), .init(n: 5, d: 3, dv: 2),
        .init(n: 8, d: 4, dv: 1), .init(n: 12, d: 2, dv: 5), .init(n: 7, d: 1, dv: 3), .init(n: 16, d: 6, dv: 4),
    ]
}
