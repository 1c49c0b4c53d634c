import Matrices
import TestSupport
import PropertyBased
import Testing

import Retention

/// One random case of the three-form agreement property. Q, K and V follow from `seed`, so the
/// case printed in a failure message rebuilds the exact inputs.
struct AgreementCase: Sendable, CustomStringConvertible {
    let length: Int
    let keyDimension: Int
    let valueDimension: Int
    let gamma: Double
    let chunkSize: Int
    let seed: UInt64

    var description: String {
        "n=\(length) d_k=\(keyDimension) d_v=\(valueDimension) γ=\(gamma) B=\(chunkSize) seed=\(seed)"
    }
}

/// The case generator.
/// - n: uniform in 1…300 for one case in five, uniform in 1…60 otherwise. The parallel
///   reference and the chunkwise form cost O(n²) per case, and a debug build does ~30 ns per
///   generic multiply–add, so uniform 1…300 took 40–60 s per 1,000 cases; this mixture cuts the
///   mean n² by ~4× (to 10–20 s) while each run still sees ~65 cases with n > 200. Small n is
///   also where the edge cases crowd (B = n, B > n, a one-row last chunk).
/// - d_k, d_v: 1…9, odd ones included (a rotation needs even d_k; retention does not).
/// - γ: exactly 1 (no decay) in a quarter of the cases; 1 − 2^{−e} with e in 1…20 (memory of
///   up to a million tokens) in a quarter; otherwise uniform in (0, 1].
/// - B: uniform in 1…n+5, so B = 1, divisors of n, non-divisors and B > n all occur.
let agreementCases = zip(
    Gen.int(in: 0...4),  // 0: long (n up to 300), otherwise short (n up to 60)
    Gen.double(in: 0..<1),  // u for n
    Gen.int(in: 1...9),  // d_k
    Gen.int(in: 1...9),  // d_v
    Gen.int(in: 0...3),  // which kind of γ
    Gen.double(in: 0..<1),  // u for γ
    Gen.double(in: 0..<1),  // u for B
    Gen.int(in: 0...Int.max)  // seed for Q, K, V
).map { (lengthKind, lengthUnit, dk, dv, gammaKind, gammaUnit, chunkUnit, seed) -> AgreementCase in
    let n = 1 + Int(lengthUnit * (lengthKind == 0 ? 300 : 60))
    let gamma: Double
    switch gammaKind {
    case 0: gamma = 1
    case 1: gamma = 1 - Double.pow(2, -(1 + Int(20 * gammaUnit)))
    default: gamma = 1 - gammaUnit  // (0, 1]
    }
    let chunkSize = 1 + Int(chunkUnit * Double(n + 5))
    return AgreementCase(length: n, keyDimension: dk, valueDimension: dv, gamma: gamma, chunkSize: chunkSize,
                         seed: UInt64(seed))
}

/// Parallel (Eq. 5) = recurrent (Eq. 6) = chunkwise (Eq. 7), on random cases.
@Suite("Three forms agree (property-based)")
struct AgreementPropertyTests {
    /// In Double the three forms must agree to 1e-12 relative (max |Δ| / max |parallel|).
    ///
    /// Each output entry sums at most n + d_k ≤ 310 rounded operations on O(1) numbers, and the
    /// decay weights are ≤ 1, so no error is amplified: even the worst-case bound, depth · u =
    /// 310 · 1.1e-16 ≈ 3.4e-14 of the size of the terms, is 30 times below 1e-12. Measured over
    /// sixteen runs (printed): outputs ≤ 4.4e-15 (an n = 1 case, partly cancelled), a margin of
    /// over 200; final states ≤ 1.3e-14 (a d_k = d_v = 1 state, mostly cancellation), over 80.
    @Test("Double: parallel = recurrent = chunkwise to 1e-12, 1,000 cases")
    func agreeInDouble() async {
        var worstRecurrent = Worst(), worstChunkwise = Worst(), worstState = Worst()
        await propertyCheck(count: 1000, input: agreementCases) { c in
            let p = Problem<Double>(length: c.length, keyDimension: c.keyDimension,
                                    valueDimension: c.valueDimension, seed: c.seed)
            let decay = Decay.valid(c.gamma)
            let terms = { termSize(p, gamma: c.gamma) }
            let parallel = try ParallelRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay)
            let recurrent = try RecurrentRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay)
            let chunkwise = try ChunkwiseRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay,
                                                           chunkSize: c.chunkSize)
            worstRecurrent.record(expectClose(recurrent.outputs, parallel, relative: 1e-12,
                                              "[\(c)] recurrent vs parallel", terms: terms), "\(c)")
            worstChunkwise.record(expectClose(chunkwise.outputs, parallel, relative: 1e-12,
                                              "[\(c)] chunkwise vs parallel", terms: terms), "\(c)")
            // Both end in S after the last row: the last chunk's R is that same state. With
            // d_k = d_v = 1, S is one sum of n signed terms and can cancel like a dot product,
            // so its term size is Σ_m γ^{n−1−m} |K_m|ᵀ |V_m|, the same recurrence on |K|, |V|.
            let stateTerms = {
                let (k, v) = (p.k.map(Swift.abs), p.v.map(Swift.abs))
                let sizes = try? RecurrentRetention.outputs(q: k, k: k, v: v, decay: decay).state.s
                return Double(sizes?.maxMagnitude ?? 0)
            }
            worstState.record(expectClose(chunkwise.state.s, recurrent.state.s, relative: 1e-12,
                                          "[\(c)] chunkwise final state vs recurrent", terms: stateTerms), "\(c)")
            #expect(chunkwise.state.position == c.length && recurrent.state.position == c.length,
                    "[\(c)] final positions: chunkwise \(chunkwise.state.position), recurrent \(recurrent.state.position), expected \(c.length)")
        }
        print("Double agreement, 1,000 cases. Worst: recurrent \(worstRecurrent); "
              + "chunkwise \(worstChunkwise); final state \(worstState)")
    }

    /// In Float each form is compared with the Double parallel form on the same Float-rounded
    /// inputs (so only Float arithmetic is measured), and the recurrent and chunkwise forms with
    /// the Float parallel form; all to 1e-5.
    ///
    /// Why 1e-5: one float32 rounding is at most u = 2⁻²⁴ ≈ 6e-8 relative. An output entry is a
    /// sum over m ≤ n of a d_k-term dot product times γ^{n−m} times a value: an accumulation
    /// depth of at most n + d_k ≤ 310 roundings. Every decay weight is ≤ 1 and an early rounding
    /// is only ever multiplied by further powers of γ ≤ 1, so errors add but never grow. Worst
    /// case, 310 · 6e-8 ≈ 1.9e-5 of the size of the terms; but the roundings have random signs and
    /// add like a random walk, √310 · 6e-8 ≈ 1e-6, and that is what is measured: over sixteen
    /// runs of 1,000 cases (printed below), at most 9.6e-7 against Double and 1.2e-6 between the
    /// Float forms, a margin of 8 below 1e-5, while a real bug (a power of γ off by one: an
    /// O(1 − γ) error; a wrong row: O(1)) fails by orders of magnitude.
    @Test("Float: parallel = recurrent = chunkwise to 1e-5, 1,000 cases")
    func agreeInFloat() async {
        let names = ["parallel", "recurrent", "chunkwise"]
        var worst = Dictionary(uniqueKeysWithValues: names.map { ($0, Worst()) })
        var worstAgainstParallel = Worst()
        await propertyCheck(count: 1000, input: agreementCases) { c in
            let p = Problem<Float>(length: c.length, keyDimension: c.keyDimension,
                                   valueDimension: c.valueDimension, seed: c.seed)
            let gamma = Float(c.gamma)
            let decay = Decay.valid(gamma)
            let terms = { termSize(p, gamma: gamma) }
            let exact = p.converted(to: Double.self)
            let reference = try ParallelRetention.outputs(q: exact.q, k: exact.k, v: exact.v,
                                                          decay: .valid(Double(gamma)))
            let forms = [
                "parallel": try ParallelRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay),
                "recurrent": try RecurrentRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay).outputs,
                "chunkwise": try ChunkwiseRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay,
                                                            chunkSize: c.chunkSize).outputs,
            ]
            for name in names {
                let m = expectClose(forms[name]!.converted(to: Double.self), reference, relative: 1e-5,
                                    "[\(c)] Float \(name) vs Double parallel", terms: terms)
                worst[name]!.record(m, "\(c)")
            }
            for name in ["recurrent", "chunkwise"] {
                let m = expectClose(forms[name]!, forms["parallel"]!, relative: 1e-5,
                                    "[\(c)] Float \(name) vs Float parallel", terms: terms)
                worstAgainstParallel.record(m, "\(name), \(c)")
            }
        }
        print("Float agreement, 1,000 cases. Worst against Double: "
              + names.map { "\($0) \(worst[$0]!)" }.joined(separator: "; ")
              + ". Worst against Float parallel: \(worstAgainstParallel)")
    }
}
