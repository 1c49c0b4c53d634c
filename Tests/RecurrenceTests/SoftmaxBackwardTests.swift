import Matrices
import Recurrence
import TestSupport
import Testing

/// Softmax attention's backward pass against central differences of its forward pass, in
/// Double. Step and tolerance as `FiniteDifferences` explains: h = 1e-5 gives truncation and
/// rounding errors of ~1e-10 for these O(1) inputs, so a correct gradient meets its difference
/// quotients to ~1e-9 relative; 1e-6 leaves a factor of 10³ while a softmax Jacobian without
/// its row term, a missing 1/√d or a masked score given a gradient is off by 1e-2 or more.
@Suite("CausalAttention.softmaxBackward = central differences")
struct SoftmaxBackwardTests {
    @Test("dQ, dK, dV", arguments: RecurrenceCase.all)
    func gradients(c: RecurrenceCase) throws {
        let (q, k, v, _) = c.inputs()
        var rng = SplitMix64(seed: 77)
        let w = Matrix<Double>.gaussian(rows: c.n, columns: c.dv, using: &rng)
        let (dQ, dK, dV) = try CausalAttention.softmaxBackward(q: q, k: k, v: v, outputGradient: w)
        let fq = try FiniteDifferences.gradient(of: q) { weightedSum(try CausalAttention.softmax(q: $0, k: k, v: v), w) }
        let fk = try FiniteDifferences.gradient(of: k) { weightedSum(try CausalAttention.softmax(q: q, k: $0, v: v), w) }
        let fv = try FiniteDifferences.gradient(of: v) { weightedSum(try CausalAttention.softmax(q: q, k: k, v: $0), w) }
        // With n = 1 the one weight is 1 whatever the score: dQ and dK are exactly 0.
        expectClose(dQ, fq, relative: 1e-6, "dQ, \(c.testDescription)")
        expectClose(dK, fk, relative: 1e-6, "dK, \(c.testDescription)")
        expectClose(dV, fv, relative: 1e-6, "dV, \(c.testDescription)")
    }

    @Test("a gradient of the wrong shape is a ShapeError")
    func wrongShape() throws {
        let (q, k, v, _) = RecurrenceCase(n: 5, d: 3, dv: 2).inputs()
        #expect(throws: ShapeError.self) {
            try CausalAttention.softmaxBackward(q: q, k: k, v: v, outputGradient: Matrix(rows: 5, columns: 3))
        }
    }
}
