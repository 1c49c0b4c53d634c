import Matrices
import TestSupport
import Testing

import Retention

/// The ends of γ's range, empty sequences, degenerate widths and huge chunk sizes.
@Suite("Edge cases")
struct EdgeCaseTests {
    /// All three forms (chunkwise with several B) for one problem.
    static func allForms<E: RealScalar>(_ p: Problem<E>, _ decay: Decay<E>, chunkSizes: [Int] = [1, 3, 8, 1000])
        throws -> [(name: String, outputs: Matrix<E>)]
    {
        var forms = [
            ("parallel", try ParallelRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay)),
            ("recurrent", try RecurrentRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay).outputs),
        ]
        for b in chunkSizes {
            forms.append(("chunkwise B=\(b)",
                          try ChunkwiseRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay, chunkSize: b).outputs))
        }
        return forms
    }

    /// γ = 1 removes the decay: D becomes the causal mask and retention is causal linear
    /// attention (softmax removed), o_n = Σ_{m≤n} (Q_n · K_m) V_m, written here as plain loops.
    @Test("γ = 1 is causal linear attention, (Q Kᵀ ⊙ causal mask) V, in every form")
    func noDecayIsCausalLinearAttention() throws {
        let p = Problem<Double>(length: 37, keyDimension: 5, valueDimension: 4, seed: 21)
        let expected = Matrix<Double>(rows: 37, columns: 4) { n, j in
            var total = 0.0
            for m in 0...n {
                var score = 0.0
                for i in 0..<5 { score += p.q[n, i] * p.k[m, i] }
                total += score * p.v[m, j]
            }
            return total
        }
        let terms = { termSize(p, gamma: 1.0) }
        for (name, outputs) in try Self.allForms(p, Decay.valid(1.0)) {
            expectClose(outputs, expected, relative: 1e-12, "[γ = 1] \(name) vs causal linear attention", terms: terms)
        }
    }

    /// γ → 0 forgets at once: every earlier token is weighted by γ^{n−m} ≤ γ, so output row n
    /// is Q_n K_nᵀ V_n alone (up to rounding; γ² and beyond underflow to 0 and are harmless).
    @Test("γ = 1e-300 (Double): output row n ≈ Q_n K_nᵀ V_n")
    func tinyGammaDouble() throws {
        let p = Problem<Double>(length: 29, keyDimension: 3, valueDimension: 6, seed: 22)
        let expected = Self.diagonalOnly(p)
        let terms = { termSize(p, gamma: 1.0) }  // the size of all terms, as if nothing decayed
        for (name, outputs) in try Self.allForms(p, Decay.valid(1e-300)) {
            #expect(outputs.isFinite, "[γ = 1e-300] \(name): NaN or ∞ in the outputs")
            expectClose(outputs, expected, relative: 1e-14, "[γ = 1e-300] \(name) vs Q_n K_nᵀ V_n", terms: terms)
        }
    }

    /// The same in Float with the smallest positive normal γ (≈ 1.2e-38), compared with the
    /// diagonal terms computed in Double from the same Float inputs.
    @Test("γ = Float.leastNormalMagnitude (Float): output row n ≈ Q_n K_nᵀ V_n")
    func tinyGammaFloat() throws {
        let p = Problem<Float>(length: 29, keyDimension: 7, valueDimension: 2, seed: 23)
        let expected = Self.diagonalOnly(p.converted(to: Double.self))
        let terms = { termSize(p, gamma: Float(1)) }
        for (name, outputs) in try Self.allForms(p, Decay.valid(Float.leastNormalMagnitude)) {
            #expect(outputs.isFinite, "[γ = Float.leastNormalMagnitude] \(name): NaN or ∞ in the outputs")
            expectClose(outputs.converted(to: Double.self), expected, relative: 1e-5,
                        "[γ = Float.leastNormalMagnitude] \(name) vs Q_n K_nᵀ V_n", terms: terms)
        }
    }

    /// Row n of the result when only m = n contributes: (Q_n · K_n) V_n.
    static func diagonalOnly(_ p: Problem<Double>) -> Matrix<Double> {
        Matrix(rows: p.length, columns: p.v.columns) { n, j in
            var score = 0.0
            for i in 0..<p.q.columns { score += p.q[n, i] * p.k[n, i] }
            return score * p.v[n, j]
        }
    }

    @Test("n = 0: every form returns a 0×d_v output and leaves the state as it was")
    func emptySequence() throws {
        let empty = Problem<Double>(length: 0, keyDimension: 3, valueDimension: 2, seed: 24)
        let decay = Decay.valid(0.9)
        let parallel = try ParallelRetention.outputs(q: empty.q, k: empty.k, v: empty.v, decay: decay)
        #expect(parallel.shape == Shape(rows: 0, columns: 2), "parallel output shape \(parallel.shape), expected 0×2")
        #expect(try ParallelRetention.scores(q: empty.q, k: empty.k, decay: decay).shape == Shape(rows: 0, columns: 0))

        let start = RetentionState(s: Matrix<Double>([[1, 2], [3, 4], [5, 6]]), position: 7)
        for given in [nil, start] {
            let recurrent = try RecurrentRetention.outputs(q: empty.q, k: empty.k, v: empty.v, decay: decay, from: given)
            let chunkwise = try ChunkwiseRetention.outputs(q: empty.q, k: empty.k, v: empty.v, decay: decay,
                                                           chunkSize: 4, from: given)
            let expectedState = given ?? RetentionState(keyDimension: 3, valueDimension: 2)
            for (name, result) in [("recurrent", recurrent), ("chunkwise", chunkwise)] {
                #expect(result.outputs.shape == Shape(rows: 0, columns: 2),
                        "\(name) output shape \(result.outputs.shape), expected 0×2")
                #expect(result.state == expectedState,
                        "\(name) changed the state on an empty sequence: \(result.state.s.storage) at \(result.state.position)")
            }
        }
    }

    @Test("chunk sizes far beyond n (up to Int.max) give the parallel result, without overflow")
    func hugeChunkSizes() throws {
        let p = Problem<Double>(length: 23, keyDimension: 4, valueDimension: 3, seed: 25)
        let decay = Decay.valid(0.8)
        let parallel = try ParallelRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay)
        for b in [22, 23, 24, 1 << 40, Int.max] {
            let chunkwise = try ChunkwiseRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay, chunkSize: b)
            expectClose(chunkwise.outputs, parallel, relative: 1e-12, "[B = \(b)] chunkwise vs parallel")
            #expect(chunkwise.state.position == 23, "[B = \(b)] position \(chunkwise.state.position), expected 23")
        }
    }

    /// Output row n sums over rows m ≤ n only, so a NaN or ∞ placed in a later row of V must not
    /// reach it. In the parallel form that rests on the matrix product skipping the exact zeros
    /// of D's masked upper triangle (IEEE 754 makes 0 · NaN and 0 · ∞ a NaN; see ArithmeticTests),
    /// in the chunkwise form on the same product inside each chunk.
    @Test("a NaN or ∞ in V at row m leaves every output row before m bit-for-bit unchanged, in every form")
    func nonFiniteValuesDoNotReachEarlierRows() throws {
        let p = Problem<Double>(length: 12, keyDimension: 3, valueDimension: 2, seed: 27)
        let decay = Decay.valid(0.9)
        let clean = try Self.allForms(p, decay)
        for (m, poison) in [(7, Double.nan), (11, .infinity), (1, -.infinity)] {
            var v = p.v
            v[m, 1] = poison
            let poisoned = try Self.allForms(Problem(q: p.q, k: p.k, v: v), decay)
            for ((name, before), (_, after)) in zip(clean, poisoned) {
                let what = "[V[\(m), 1] = \(poison)] \(name)"
                #expect(after.rowRange(0..<m) == before.rowRange(0..<m),
                        "\(what): rows 0..<\(m) changed, first at row \((0..<m).first { after.row($0) != before.row($0) } ?? -1)")
                #expect(!after.row(m).isFinite, "\(what): row \(m) is finite, so the poison never entered")
            }
        }
    }

    @Test("d_k = 0 or d_v = 0: zero or empty outputs, no trap")
    func degenerateWidths() throws {
        let decay = Decay.valid(0.5)
        for (dk, dv) in [(0, 3), (3, 0), (0, 0)] {
            let p = Problem<Double>(length: 5, keyDimension: dk, valueDimension: dv, seed: 26)
            for (name, outputs) in try Self.allForms(p, decay, chunkSizes: [2]) {
                #expect(outputs.shape == Shape(rows: 5, columns: dv), "[d_k=\(dk) d_v=\(dv)] \(name) shape \(outputs.shape)")
                #expect(outputs.storage.allSatisfy { $0 == 0 }, "[d_k=\(dk) d_v=\(dv)] \(name) is not all zeros")
            }
        }
    }
}
