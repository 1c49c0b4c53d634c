import Matrices
import TestSupport
import Testing

import Retention

/// One retention problem: Q, K (n×d_k) and V (n×d_v) drawn from a SplitMix64 seed, so that any
/// failing case can be rebuilt from the numbers printed in its message.
///
/// Scales: Q and V are N(0, 1) and K is N(0, 1/d_k), so each score Q_n K_mᵀ is N(0, 1)
/// whatever d_k (the paper's QKᵀ/√d, done the way torchscale does it: k ·= d_k^{−1/2}).
/// Outputs then grow only like the square root of the number of terms that survive the decay.
struct Problem<E: RealScalar> {
    let q: Matrix<E>
    let k: Matrix<E>
    let v: Matrix<E>

    init(length n: Int, keyDimension dk: Int, valueDimension dv: Int, seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        q = .gaussian(rows: n, columns: dk, scale: 1, using: &generator)
        k = .gaussian(rows: n, columns: dk, scale: 1 / Double(dk).squareRoot(), using: &generator)
        v = .gaussian(rows: n, columns: dv, scale: 1, using: &generator)
    }

    init(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>) {
        self.q = q
        self.k = k
        self.v = v
    }

    /// The same numbers in another precision (exactly, when going from Float to Double).
    func converted<Other: RealScalar>(to _: Other.Type) -> Problem<Other> {
        Problem<Other>(q: q.converted(), k: k.converted(), v: v.converted())
    }

    /// Rows `range` of Q, K and V: a prefix or a suffix for state hand-off tests.
    func rows(_ range: Range<Int>) -> Problem {
        Problem(q: q.rowRange(range), k: k.rowRange(range), v: v.rowRange(range))
    }

    var length: Int { q.rows }
}

/// T = max of (|Q| |K|ᵀ ⊙ D) |V| in Double: the size of the terms each output entry sums, for
/// `expectClose(…, terms:)`'s cancellation floor.
///
/// Retention needs it for short sequences: for n = 1 the whole output is (Q₀·K₀) V₀, and when
/// the d_k products in Q₀·K₀ nearly cancel, max |expected| is tiny while the rounding errors are
/// set by the size of the terms. (A float32 simulation of 3.6 million n = 1 cases put ~0.2 % of
/// comparisons above 1e-5 this way, enough to fail a 1,000-case run now and then.)
func termSize<E: RealScalar>(_ p: Problem<E>, gamma: E) -> Double {
    let magnitudes = p.converted(to: Double.self)
    let q = magnitudes.q.map(Swift.abs), k = magnitudes.k.map(Swift.abs), v = magnitudes.v.map(Swift.abs)
    let sizes = (try? ParallelRetention.outputs(q: q, k: k, v: v, decay: .valid(Double(gamma)))) ?? Matrix(rows: 0, columns: 0)
    return Double(sizes.maxMagnitude)
}

/// The running maximum of a measured error, with the case that produced it, and how many
/// comparisons needed the cancellation floor.
struct Worst: CustomStringConvertible {
    var value = 0.0
    var context = "none"
    var floored = 0

    mutating func record(_ m: Measured, _ where_: @autoclosure () -> String) {
        if m.floored { floored += 1 }
        if m.error > value || (m.error.isNaN && !value.isNaN) {
            value = m.error
            context = where_()
        }
    }

    var description: String {
        "\(Format.scientific(value, 2)) (\(context))" + (floored > 0 ? " [\(floored) floored]" : "")
    }
}

extension Decay {
    /// A decay the test knows is valid (the invalid ones are tested in ErrorTests).
    static func valid(_ gamma: E) -> Decay {
        do { return try Decay(gamma) } catch { fatalError("test used an invalid γ \(gamma): \(error)") }
    }
}
