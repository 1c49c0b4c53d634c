import ArgumentParser
import ChapterSupport
import Diagonalisation
import Foundation
import Matrices
import MultiScaleRetention
import Notebook
import Retention
import RetNetModel
import SafeTensors
import TorchscaleCheckpoint

extension Chapter10 {
    /// The chunkwise form's backward pass over chunks, for several chunk sizes, and in Float at
    /// 4,096 tokens where the split form would overflow.
    func chunkwiseForm(_ nb: Notebook, _ example: SingleHeadExample) throws {
        nb.section("The chunkwise form, backwards over chunks")
        nb.prose("""
            With B the chunk size and b ≤ B the length of chunk i (the last may be shorter), chunk i
            computed (Q_[i] K_[i]ᵀ ⊙ D) V_[i] + (Q_[i] R_{i−1}) ⊙ ξ and passed on
            R_i = K_[i]ᵀ (V_[i] ⊙ ζ) + γ^b R_{i−1}. Each term comes apart by the two rules above, and
            dR_i = ∂L/∂R_i runs backwards over the chunks as R ran forwards:
            """)
        nb.equation("""
            inner:  the parallel backward on the chunk (dV_[i], dQ_[i], dK_[i] from A and dP of size b×b)
            cross:  dQ_[i] += (dO_[i] ⊙ ξ) R_{i−1}ᵀ
            state:  dK_[i] += (V_[i] ⊙ ζ) dR_iᵀ,   dV_[i] += (K_[i] dR_i) ⊙ ζ
            dR_{i−1} = (Q_[i] ⊙ ξ)ᵀ dO_[i] + γ^b dR_i
            """,
                    latex: #"\begin{aligned} &\text{inner: the parallel backward on the chunk} \\ &dQ_{[i]} \mathrel{+}= (dO_{[i]} \odot \xi)\, R_{i-1}^{\top} \\ &dK_{[i]} \mathrel{+}= (V_{[i]} \odot \zeta)\, dR_i^{\top}, \quad dV_{[i]} \mathrel{+}= (K_{[i]}\, dR_i) \odot \zeta \\ &dR_{i-1} = (Q_{[i]} \odot \xi)^{\top} dO_{[i]} + \gamma^{b}\, dR_i \end{aligned}"#)
        nb.prose("""
            Every decay here is relative to a chunk boundary — ξ, ζ, γ^b and the b×b D, all ≤ 1 — as in
            the forward pass. The inner parts are products of size B, the chain of dependent steps is
            ⌈n/B⌉ long. For the flag's B, a divisor of n and a non-divisor (when n has them), B = 1
            and B > n, the gradients must equal the parallel ones to 1e-12 relative:
            """)
        let (q, k, v, w, decay, parallel) = (example.q, example.k, example.v, example.w, example.decay, example.parallel)
        let divisor = (2..<max(2, length)).last { length % $0 == 0 }
        let nonDivisor = (2..<max(2, length)).first { length % $0 != 0 }
        let chunkSizes = Array(Set([1, chunkSize, length + 2] + [divisor, nonDivisor].compactMap { $0 })).sorted()
        var rows: [[String]] = []
        for size in chunkSizes {
            let chunkwise = try ChunkwiseRetention.backward(q: q, k: k, v: v, decay: decay, chunkSize: size, outputGradient: w)
            let kind = size == 1 ? "one token per chunk" : size >= length ? "one chunk (B ≥ n)"
                : length % size == 0 ? "divides n" : "last chunk of \(length % size)"
            let errors = [(chunkwise.dQ, parallel.dQ), (chunkwise.dK, parallel.dK), (chunkwise.dV, parallel.dV),
                          (chunkwise.dState, parallel.dState)].map { $0.0.deviation(from: $0.1).maxRelative }
            rows.append([String(size), kind] + errors.map { Format.scientific($0) })
            nb.check("chunkwise (B = \(size)) dQ, dK, dV, dS₋₁ = parallel, each ≤ 1e-12 relative",
                     errors.allSatisfy { $0 <= 1e-12 }, "largest \(Format.scientific(errors.max()!))")
        }
        nb.table(["B", "chunks", "dQ", "dK", "dV", "dS₋₁ (max relative error vs parallel)"], rows)

        nb.prose("""
            Chapter 02 showed why the split form Q_n γ^n · (K_m γ^{−m})ᵀ is dangerous: γ^{−m} overflows.
            A backward pass written that way would overflow in the same place. Take n = 4,096 tokens in
            Float with γ = 1 − 2⁻⁵ and B = 64:
            """)
        let longLength = 4_096, longGamma = 1 - 1.0 / 32
        let inverse = Float.pow(Float(longGamma), -Float(longLength - 1))
        nb.say("in Float, γ^{−(n−1)} = γ^{−4095} = \(inverse) (beyond Float's largest, 3.4e38: a fact of the two constants)")
        var longRng = SplitMix64(seed: seed &+ 1)
        let longQ = Matrix<Double>.gaussian(rows: longLength, columns: 4, scale: 0.5, using: &longRng)
        let longK = Matrix<Double>.gaussian(rows: longLength, columns: 4, scale: 0.5, using: &longRng)
        let longV = Matrix<Double>.gaussian(rows: longLength, columns: 3, using: &longRng)
        let longW = Matrix<Double>.gaussian(rows: longLength, columns: 3, using: &longRng)
        let floatGradients = try ChunkwiseRetention.backward(
            q: longQ.converted(to: Float.self), k: longK.converted(to: Float.self), v: longV.converted(to: Float.self),
            decay: Decay(Float(longGamma)), chunkSize: 64, outputGradient: longW.converted(to: Float.self))
        let reference = try RecurrentRetention.backward(q: longQ, k: longK, v: longV, decay: Decay(longGamma),
                                                        outputGradient: longW)
        let floatAll = [floatGradients.dQ, floatGradients.dK, floatGradients.dV, floatGradients.dState]
        nb.check("Float chunkwise gradients at n = 4,096: every entry finite",
                 floatAll.allSatisfy { $0.storage.allSatisfy(\.isFinite) },
                 "\(floatAll.map { $0.storage.count }.reduce(0, +)) entries")
        nb.prose("""
            Finite is not enough: they must be right. Compare with the Double recurrent backward pass
            (two passes of O(n d d_v), cheap at this length). Each Float entry sums products over the
            b ≤ 64 rows of a chunk and a state whose decayed sum reaches back ~1/(1 − γ) = 32 tokens,
            each rounding costing u = 6e-8 relative, so ~10⁻⁷ to 10⁻⁶ is expected; 1e-4 relative per
            tensor leaves a factor ≥ 100, while a wrong decay anywhere in 4,096 tokens is off by O(1):
            """)
        for (name, got, expected) in [("dQ", floatGradients.dQ, reference.dQ), ("dK", floatGradients.dK, reference.dK),
                                      ("dV", floatGradients.dV, reference.dV)] {
            nb.check("Float chunkwise \(name) (n = 4,096, B = 64) = Double recurrent \(name)",
                     got.converted(to: Double.self), expected, tolerance: .relative(1e-4))
        }
    }
}
