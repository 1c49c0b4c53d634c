import Matrices
import TestSupport
import PropertyBased
import Testing

import Retention

/// The case generator (cases as in the forward agreement test; everything else a backward
/// pass reads follows from the seed, see `GradientProblem`).
/// - n: 0 or 1 in one case in six; uniform in 0…200 in one in six; uniform in 0…40 otherwise.
///   The parallel and chunkwise backward passes cost O(n²) per case (two to three times their
///   forward passes), so long cases are rationed as in the forward agreement test; short ones
///   are where the edge cases crowd (B = n, B > n, a one-row last chunk).
/// - d_k, d_v: 0…8 (0: nothing to carry, every gradient empty or zero; odd widths included).
/// - γ: exactly 1 in a quarter of the cases; 1 − 2^{−e}, e in 1…20, in a quarter; 2^{−e}, e in
///   1…40, in a quarter (fast decay: the higher powers underflow to 0, in Float after a few
///   tokens); otherwise uniform in (0, 1].
/// - B: uniform in 1…n+5: 1, divisors of n, non-divisors and B > n all occur.
let gradientCases = zip(
    Gen.int(in: 0...5),  // 0: n ∈ {0, 1}; 1: n up to 200; otherwise n up to 40
    Gen.double(in: 0..<1),  // u for n
    Gen.int(in: 0...8),  // d_k
    Gen.int(in: 0...8),  // d_v
    Gen.int(in: 0...3),  // which kind of γ
    Gen.double(in: 0..<1),  // u for γ
    Gen.double(in: 0..<1),  // u for B
    Gen.int(in: 0...Int.max)  // seed
).map { (lengthKind, lengthUnit, dk, dv, gammaKind, gammaUnit, chunkUnit, seed) -> AgreementCase in
    let n = switch lengthKind {
    case 0: Int(lengthUnit * 2)
    case 1: Int(lengthUnit * 201)
    default: Int(lengthUnit * 41)
    }
    let gamma = switch gammaKind {
    case 0: 1.0
    case 1: 1 - Double.pow(2, -(1 + Int(20 * gammaUnit)))
    case 2: Double.pow(2, -(1 + Int(40 * gammaUnit)))
    default: 1 - gammaUnit  // (0, 1]
    }
    let chunkSize = 1 + Int(chunkUnit * Double(n + 5))
    return AgreementCase(length: n, keyDimension: dk, valueDimension: dv, gamma: gamma, chunkSize: chunkSize,
                        seed: UInt64(seed))
}

/// The three backward passes return the same gradients, on random cases: from the zero state
/// all three (parallel, recurrent, chunkwise); from a random starting state with a random
/// final-state gradient, the two forms that carry a state.
@Suite("Three backward passes agree (property-based)")
struct GradientAgreementPropertyTests {
    static let count = 600

    /// The references of one case: Double parallel from the zero state, Double recurrent from S₋₁.
    typealias References = (zero: RetentionGradients<Double>, state: RetentionGradients<Double>)

    static func references(_ p: GradientProblem<Double>, gamma: Double) throws -> References {
        let decay = Decay.valid(gamma)
        return (zero: try GradientForm.parallel.backward(p, decay: decay, chunkSize: 1, withState: false),
                state: try GradientForm.recurrent.backward(p, decay: decay, chunkSize: 1, withState: true))
    }

    /// The comparisons of one case: each run's four gradients against the reference for its
    /// start (Double parallel from zero, Double recurrent from S₋₁), with term sizes for the
    /// cancellation floor (computed only when a comparison comes near its bound). In Double the
    /// runs that *are* the references are skipped: a computation compared with itself cannot fail.
    static func compare<E: RealScalar>(_ p: GradientProblem<E>, _ c: AgreementCase, gamma: E, bound: Double,
                                       references: References, worst: inout [String: Worst]) throws
    {
        let skipReferences = E.self == Double.self
        let decay = Decay.valid(gamma)
        let runs: [(name: String, form: GradientForm, withState: Bool)] = [
            ("parallel", .parallel, false), ("recurrent", .recurrent, false), ("chunkwise", .chunkwise, false),
            ("recurrent from S₋₁", .recurrent, true), ("chunkwise from S₋₁", .chunkwise, true),
        ]
        for run in runs {
            if skipReferences && (run.name == "parallel" || run.name == "recurrent from S₋₁") { continue }
            let got = try run.form.backward(p, decay: decay, chunkSize: c.chunkSize, withState: run.withState)
            let reference = run.withState ? references.state : references.zero
            for ((name, value), (_, expected)) in zip(got.named, reference.named) {
                let terms = { gradientTermSizes(p, gamma: gamma, withState: run.withState)[name] ?? 0 }
                let m = expectClose(value.converted(to: Double.self), expected, relative: bound,
                                    "[\(c)] \(E.name) \(run.name) \(name)", terms: terms)
                worst[E.name + " " + run.name, default: Worst()].record(m, "\(name), \(c)")
            }
        }
    }

    /// In Double, every form's gradients match the references, Double parallel (zero state)
    /// and Double recurrent (from S₋₁), to 1e-12 relative, normwise: max |Δ| / max |reference|
    /// over each gradient matrix.
    ///
    /// Why 1e-12: each gradient entry is a sum of products that the forms round along chains
    /// of at most 2n + d_k + d_v + 5 ≤ 421 steps (n ≤ 200, d ≤ 8; the recurrent G rounds twice per
    /// token, a dot product once per term, the decay powers and ⊙ a few), so each form is
    /// within 421 u ≈ 4.7e-14 of its term size T, and two forms within 9.4e-14 T of each other.
    /// Normwise against max |reference| that is ≤ 9.4e-14 unless the entries are mostly
    /// cancellation (an n = 1 dV is (Q₀·K₀) dO₀, and Q₀·K₀ can nearly vanish); `expectClose`
    /// then measures against T/10 instead, which still leaves ≤ 9.4e-13 — the worst case under
    /// 1e-12 for every case. Typical errors, of random sign, are far smaller: measured over
    /// five runs of 600 cases (printed), at most 3.3e-14 (an n = 1 dQ, mostly cancellation),
    /// and ~1e-15 for the long cases.
    @Test("Double: parallel = recurrent = chunkwise gradients to 1e-12")
    func agreeInDouble() async {
        await Self.agree(Double.self, bound: 1e-12)
    }

    /// In Float, every form's gradients against the same Double references on the same
    /// Float-rounded inputs (so only Float arithmetic is measured), to 2e-5 relative, normwise.
    ///
    /// Why 2e-5: the chains above have at most 421 roundings of u = 2⁻²⁴ ≈ 6e-8, a worst case
    /// of 2.5e-5 of the term size, but roundings of random sign add like a random walk,
    /// √421 · 6e-8 ≈ 1.2e-6, and every old rounding is only ever multiplied by further powers
    /// of γ ≤ 1. 2e-5 stays under the worst case while leaving a margin of 10 over what is
    /// measured (printed: at most 2.0e-6 over five runs of 600 cases, in n = 1 cases where the
    /// floor applies); a real bug (a power of γ off by one, a wrong row) is off by 1 − γ or O(1).
    @Test("Float: parallel = recurrent = chunkwise gradients to 2e-5 of Double")
    func agreeInFloat() async {
        await Self.agree(Float.self, bound: 2e-5)
    }

    /// Runs the property in precision E: each case's problem drawn in E, its references
    /// computed in Double from the same (exactly converted) numbers, the worst errors printed.
    static func agree<E: RealScalar>(_: E.Type, bound: Double) async {
        var worst: [String: Worst] = [:]
        await propertyCheck(count: count, input: gradientCases) { c in
            let p = GradientProblem<E>(length: c.length, keyDimension: c.keyDimension,
                                       valueDimension: c.valueDimension, seed: c.seed)
            let gamma = E(c.gamma)
            let references = try references(p.converted(to: Double.self), gamma: Double(gamma))
            try compare(p, c, gamma: gamma, bound: bound, references: references, worst: &worst)
        }
        print("\(E.name) gradient agreement, \(count) cases. Worst against Double: "
              + worst.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "; "))
    }

    /// A chunk size far beyond n is one chunk, B = n: the chunk bounds are computed as
    /// min(B, n − start) and the reverse pass steps down by B, neither of which may overflow.
    @Test("B = Int.max gives the gradients of B = n, exactly")
    func hugeChunkSize() throws {
        let p = GradientProblem<Double>(length: 23, keyDimension: 3, valueDimension: 2, seed: 41)
        let decay = Decay.valid(0.9)
        let huge = try GradientForm.chunkwise.backward(p, decay: decay, chunkSize: .max, withState: true)
        let whole = try GradientForm.chunkwise.backward(p, decay: decay, chunkSize: 23, withState: true)
        // The same arithmetic in the same order, so equal to the last bit.
        #expect(huge == whole, "B = Int.max and B = n differ")
    }
}
