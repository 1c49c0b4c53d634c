import Matrices
import TestSupport
import Testing

import Retention

/// 65,536 tokens in the recurrent and chunkwise forms, with γ close to 1: the regime where the
/// xPos split γ^n · γ^{−m} would have overflowed long ago (γ = 1 − 2⁻⁵: at m ≈ 2,800 in Float),
/// and where the state remembers the most. The parallel form is not run: its n×n scores would
/// hold 4.3·10⁹ scalars.
@Suite("Long sequences (n = 65,536)")
struct LongSequenceTests {
    static let length = 65_536
    /// B = 32: 2,048 chunks. The chunkwise form costs O(B) per token, and a debug build spends
    /// ~100 ns per multiply–add in the generic matrix product: B = 64 took 3.5 s per run and
    /// B = 32 takes 2.2 s, which keeps this test near 5 s.
    static let chunkSize = 32

    /// γ = 1 − 2^{−e}: exact in Float and Double, so Float and Double use the same γ.
    @Test("finite in Float and Double; Float drift from Double bounded", arguments: [5, 12])
    func longSequence(exponent e: Int) throws {
        let n = Self.length
        let gamma = 1 - Double.pow(2, -e)
        let problem = Problem<Float>(length: n, keyDimension: 4, valueDimension: 4, seed: 65_536 + UInt64(e))
        let exact = problem.converted(to: Double.self)  // the same numbers, so only arithmetic differs
        let floatDecay = Decay.valid(Float(gamma)), doubleDecay = Decay.valid(gamma)
        #expect(Double(floatDecay.gamma) == gamma, "γ = 1 − 2^−\(e) must be exact in Float")

        var results: [String: Double] = [:]
        let recurrentD = try RecurrentRetention.outputs(q: exact.q, k: exact.k, v: exact.v, decay: doubleDecay)
        let chunkwiseD = try ChunkwiseRetention.outputs(q: exact.q, k: exact.k, v: exact.v, decay: doubleDecay,
                                                        chunkSize: Self.chunkSize)
        let recurrentF = try RecurrentRetention.outputs(q: problem.q, k: problem.k, v: problem.v, decay: floatDecay)
        let chunkwiseF = try ChunkwiseRetention.outputs(q: problem.q, k: problem.k, v: problem.v,
                                                        decay: floatDecay, chunkSize: Self.chunkSize)

        for (name, outputs, state) in [("Double recurrent", recurrentD.outputs, recurrentD.state.s),
                                       ("Double chunkwise", chunkwiseD.outputs, chunkwiseD.state.s),
                                       ("Float recurrent", recurrentF.outputs.converted(to: Double.self),
                                        recurrentF.state.s.converted(to: Double.self)),
                                       ("Float chunkwise", chunkwiseF.outputs.converted(to: Double.self),
                                        chunkwiseF.state.s.converted(to: Double.self))]
        {
            #expect(outputs.isFinite && state.isFinite,
                    "[γ = 1 − 2^−\(e)] \(name): NaN or ∞ in the outputs or the final state")
            #expect(outputs.rows == n, "[γ = 1 − 2^−\(e)] \(name): \(outputs.rows) output rows, expected \(n)")
        }
        // In Double the two forms agree as tightly as on short sequences: nothing grows with n.
        results["Double chunkwise vs recurrent"] = expectClose(
            chunkwiseD.outputs, recurrentD.outputs, relative: 1e-12,
            "[γ = 1 − 2^−\(e)] Double chunkwise vs Double recurrent").error

        // The Float drift bound, from first principles. Each step rounds S ← γ S + K_nᵀ V_n
        // about twice (u = 2⁻²⁴ ≈ 6e-8 each), and an old error is multiplied by γ at every
        // later step, so the state carries the errors of its last ~1/(1 − γ) = 2^e steps and
        // forgets the rest. Roundings of random sign add like a random walk, √(Σ_k γ^{2k}) =
        // 1/√(1 − γ²) ≈ √(2^{e−1}) of them: a typical relative error of 2u · 2^{(e−1)/2}, i.e.
        // 4.8e-7 for e = 5 and 5.4e-6 for e = 12. (A coherent, same-sign worst case would be
        // 2u · 2^e: 3.8e-6 and 4.9e-4.) The bound is 4× the random-walk estimate. Measured
        // (printed below): recurrent 2.1e-7 and 2.1e-6, chunkwise smaller (it rounds the state
        // once per chunk, not once per token), so the margin is ≥ 9; a systematic error (a
        // biased γ, a lost power), which adds coherently, would exceed it.
        let bound = 4 * 2 * 0x1p-24 * Double.pow(2, Double(e - 1) / 2)
        results["Float recurrent drift"] = expectClose(
            recurrentF.outputs.converted(to: Double.self), recurrentD.outputs, relative: bound,
            "[γ = 1 − 2^−\(e)] Float recurrent vs Double recurrent").error
        results["Float chunkwise drift"] = expectClose(
            chunkwiseF.outputs.converted(to: Double.self), recurrentD.outputs, relative: bound,
            "[γ = 1 − 2^−\(e)] Float chunkwise vs Double recurrent").error
        results["Float final state drift"] = expectClose(
            recurrentF.state.s.converted(to: Double.self), recurrentD.state.s, relative: bound,
            "[γ = 1 − 2^−\(e)] Float final state vs Double").error
        results["bound"] = bound
        results["max |o|"] = Double(recurrentD.outputs.maxMagnitude)
        results["max |S|"] = Double(recurrentD.state.s.maxMagnitude)
        print("n = 65,536, γ = 1 − 2^−\(e): "
              + results.sorted { $0.key < $1.key }.map { "\($0.key) \(Format.scientific($0.value, 2))" }
                  .joined(separator: ", "))
    }
}
