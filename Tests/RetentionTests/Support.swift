import Matrices
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

/// The error measure of every comparison in these tests: max |got − expected| / max |expected|,
/// i.e. `Deviation.maxRelative`, with one exception for answers that are mostly cancellation.
///
/// A relative error only means something when the answer is about as large as the terms that
/// were summed to make it. For n = 1 the whole output is (Q₀·K₀) V₀, and when the d_k products
/// in Q₀·K₀ nearly cancel, max |expected| is tiny while the rounding errors are set by the size
/// of the terms: the relative error of a dot product is unbounded, in any precision and in any
/// form. (A float32 simulation of 3.6 million n = 1 cases put ~0.2 % of comparisons above 1e-5
/// this way, enough to fail a 1,000-case run now and then.) So when the plain error comes within
/// a factor 10 of the bound, the size of the terms, T = max of (|Q| |K|ᵀ ⊙ D) |V| (`terms`), is
/// looked at, and the denominator becomes max(max |expected|, T/10): unchanged unless
/// cancellation made the answer over ten times smaller than its terms. Comparisons far inside
/// the bound never compute T (it costs a second parallel pass), so for them the number reported
/// is exactly `maxRelative`, which is never below the floored value.
struct Measured {
    /// The error as defined above.
    let error: Double
    /// Whether the denominator was raised to T/10 (the answer was mostly cancellation).
    let floored: Bool
    /// The worst entry, for the failure message.
    let detail: String
}

func measure<E: RealScalar>(_ got: Matrix<E>, _ expected: Matrix<E>, within bound: Double,
                            terms: () -> Double) -> Measured
{
    guard got.shape == expected.shape else {
        return Measured(error: .infinity, floored: false,
                        detail: "shape \(got.shape) vs expected \(expected.shape)")
    }
    if got.storage.isEmpty { return Measured(error: 0, floored: false, detail: "empty") }
    guard got.isFinite else { return Measured(error: .infinity, floored: false, detail: "non-finite output") }
    let d = got.deviation(from: expected)
    let size = Double(expected.maxMagnitude)
    var error = d.maxRelative, floored = false, scaleText = "max |expected| \(Format.scientific(size, 2))"
    if error > bound / 10 {
        let t = terms()
        if size < t / 10 {
            error = d.maxAbsolute / (t / 10)
            floored = true
            scaleText += ", floored to T/10 = \(Format.scientific(t / 10, 2)) (cancellation)"
        }
    }
    let detail = "error \(Format.scientific(error, 2)) at row \(d.at.row), column \(d.at.column): "
        + "got \(d.got), expected \(d.expected) (max |Δ| \(Format.scientific(d.maxAbsolute, 2)), \(scaleText))"
    return Measured(error: error, floored: floored, detail: detail)
}

/// Plain `Deviation.maxRelative` (∞ for a shape mismatch or a NaN/∞, 0 for empty matrices),
/// for checks that expect a large error.
func relativeError<E: RealScalar>(_ got: Matrix<E>, _ expected: Matrix<E>) -> Double {
    guard got.shape == expected.shape else { return .infinity }
    if got.storage.isEmpty { return 0 }
    guard got.isFinite else { return .infinity }
    return got.deviation(from: expected).maxRelative
}

/// T = max of (|Q| |K|ᵀ ⊙ D) |V| in Double: the size of the terms each output entry sums.
func termSize<E: RealScalar>(_ p: Problem<E>, gamma: E) -> Double {
    let magnitudes = p.converted(to: Double.self)
    let q = magnitudes.q.map(Swift.abs), k = magnitudes.k.map(Swift.abs), v = magnitudes.v.map(Swift.abs)
    let sizes = (try? ParallelRetention.outputs(q: q, k: k, v: v, decay: .valid(Double(gamma)))) ?? Matrix(rows: 0, columns: 0)
    return Double(sizes.maxMagnitude)
}

/// Records `#expect(error ≤ bound)` with a message saying which case, which comparison, where
/// and how far off, and the tolerance; returns the measurement for the running worst case.
@discardableResult
func expectClose<E: RealScalar>(_ got: Matrix<E>, _ expected: Matrix<E>, within bound: Double, _ what: String,
                                terms: () -> Double = { 0 },
                                sourceLocation: SourceLocation = #_sourceLocation) -> Measured
{
    let m = measure(got, expected, within: bound, terms: terms)
    #expect(m.error <= bound, "\(what): \(m.detail) exceeds tolerance \(Format.scientific(bound, 1))",
            sourceLocation: sourceLocation)
    return m
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

/// The wall-clock seconds `body` takes, printed beside each test's measurements.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    return (ContinuousClock.now - start).seconds
}

/// The wall-clock seconds `body` takes (for property checks, which are async).
func timed(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    return (ContinuousClock.now - start).seconds
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

extension Decay {
    /// A decay the test knows is valid (the invalid ones are tested in ErrorTests).
    static func valid(_ gamma: E) -> Decay {
        do { return try Decay(gamma) } catch { fatalError("test used an invalid γ \(gamma): \(error)") }
    }
}
