import Matrices
import TestSupport
import Testing

import Retention

/// The recurrent and chunkwise backward passes over 65,536 tokens, from a starting state and
/// with a final-state gradient: finite in Float and Double, the two forms agreeing in Double,
/// and Float drifting from Double no more than rounding explains. The parallel form is not
/// run: its n×n scores would hold 4.3·10⁹ scalars.
@Suite("Long sequences, backward (n = 65,536)")
struct GradientLongSequenceTests {
    static let length = LongSequenceTests.length
    /// B = 8: 8,192 chunks. The chunkwise backward does two to three times the forward's work
    /// in the generic matrix product, which a debug build runs at ~100 ns per multiply–add, and
    /// allocates some twenty small matrices per chunk; its inner part costs O(B) per token.
    /// With d_k = d_v = 2, B = 16 took 4 s per call and B = 8 takes 2 s (on a loaded machine),
    /// and the recurrent form 0.1 s, which keeps this test to a few seconds.
    static let chunkSize = 8

    /// γ = 1 − 2^{−e}: exact in Float and Double, so Float and Double use the same γ.
    @Test("finite in Float and Double; chunkwise = recurrent; Float drift from Double bounded", arguments: [5, 12])
    func longSequence(exponent e: Int) throws {
        let gamma = 1 - Double.pow(2, -e)
        let p = GradientProblem<Float>(length: Self.length, keyDimension: 2, valueDimension: 2,
                                       seed: 65_536 + UInt64(e))
        let exact = p.converted(to: Double.self)  // the same numbers, so only arithmetic differs
        let floatDecay = Decay.valid(Float(gamma)), doubleDecay = Decay.valid(gamma)
        #expect(Double(floatDecay.gamma) == gamma, "γ = 1 − 2^−\(e) must be exact in Float")
        let context = "γ = 1 − 2^−\(e)"

        let recurrentD = try GradientForm.recurrent.backward(exact, decay: doubleDecay, chunkSize: Self.chunkSize,
                                                             withState: true)
        let chunkwiseD = try GradientForm.chunkwise.backward(exact, decay: doubleDecay, chunkSize: Self.chunkSize,
                                                             withState: true)
        let recurrentF = try GradientForm.recurrent.backward(p, decay: floatDecay, chunkSize: Self.chunkSize,
                                                             withState: true)
        let chunkwiseF = try GradientForm.chunkwise.backward(p, decay: floatDecay, chunkSize: Self.chunkSize,
                                                             withState: true)
        for (name, gradients) in [("Double recurrent", recurrentD), ("Double chunkwise", chunkwiseD),
                                  ("Float recurrent", recurrentF.converted(to: Double.self)),
                                  ("Float chunkwise", chunkwiseF.converted(to: Double.self))] {
            for (tensor, value) in gradients.named {
                #expect(value.isFinite, "[\(context)] \(name) \(tensor): NaN or ∞")
            }
            #expect(gradients.dQ.rows == Self.length && gradients.dV.rows == Self.length,
                    "[\(context)] \(name): \(gradients.dQ.rows) rows of dQ, \(gradients.dV.rows) of dV")
        }

        // In Double the two forms agree to 1e-12, as their forward passes do: every rounding is
        // damped by γ at each later step, so the errors that count are those of the last
        // ~1/(1 − γ) = 2^e tokens, about two each; of random sign they add to about
        // 2u · 2^{(e−1)/2} ≈ 1e-14 for e = 12 (u = 2⁻⁵³; measured 1.5e-14, printed), and even
        // all of one sign, 2u · 2^e = 9e-13. Nothing grows with n.
        var results: [String: Double] = [:]
        for ((name, value), (_, expected)) in zip(chunkwiseD.named, recurrentD.named) {
            results["Double chunkwise vs recurrent, " + name] = expectClose(
                value, expected, relative: 1e-12, "[\(context)] Double chunkwise vs Double recurrent, \(name)").error
        }

        // The Float drift bound is the forward pass's (LongSequenceTests), for the same reason:
        // dQ_n = dO_n S_nᵀ reads the forward state, and dK, dV and dState read G, which is the
        // same recurrence run backwards, G_n = γ G_{n+1} + Q_nᵀ dO_n, rounding about twice per
        // token with every old error damped by γ. So each carries the random-walk error of its
        // last ~2^e steps, 2u · 2^{(e−1)/2} relative, and the bound is 4× that: 1.9e-6 for
        // e = 5, 2.2e-5 for e = 12. Measured (printed) well inside it; a systematic error (a
        // biased γ, a lost power), which adds coherently, would exceed it.
        let bound = 4 * 2 * 0x1p-24 * Double.pow(2, Double(e - 1) / 2)
        for (form, gradients) in [("recurrent", recurrentF), ("chunkwise", chunkwiseF)] {
            for ((name, value), (_, expected)) in zip(gradients.named, recurrentD.named) {
                results["Float \(form) drift, " + name] = expectClose(
                    value.converted(to: Double.self), expected, relative: bound,
                    "[\(context)] Float \(form) vs Double recurrent, \(name)").error
            }
        }
        results["bound"] = bound
        print("backward, n = 65,536, \(context): "
              + results.sorted { $0.key < $1.key }.map { "\($0.key) \(Format.scientific($0.value, 2))" }
                  .joined(separator: ", "))
    }
}
