import Matrices
import Recurrence
import TestSupport
import Testing

/// Causal linear attention's backward pass against central differences of its forward pass, in
/// Double: the same step and tolerance as the softmax's (`SoftmaxBackwardTests`). The forward
/// pass is linear in each of Q, K and V, so the difference quotients have no truncation error at
/// all; a missing mask (a future key given a gradient) or a transposed dA is off by O(1).
@Suite("CausalAttention.linearBackward = central differences")
struct LinearAttentionBackwardTests {
    @Test("dQ, dK, dV", arguments: RecurrenceCase.all)
    func gradients(c: RecurrenceCase) throws {
        let (q, k, v, _) = c.inputs()
        var rng = SplitMix64(seed: 78)
        let w = Matrix<Double>.gaussian(rows: c.n, columns: c.dv, using: &rng)
        let (dQ, dK, dV) = try CausalAttention.linearBackward(q: q, k: k, v: v, outputGradient: w)
        let fq = try FiniteDifferences.gradient(of: q) { weightedSum(try CausalAttention.linear(q: $0, k: k, v: v), w) }
        let fk = try FiniteDifferences.gradient(of: k) { weightedSum(try CausalAttention.linear(q: q, k: $0, v: v), w) }
        let fv = try FiniteDifferences.gradient(of: v) { weightedSum(try CausalAttention.linear(q: q, k: k, v: $0), w) }
        expectClose(dQ, fq, relative: 1e-6, "dQ, \(c.testDescription)")
        expectClose(dK, fk, relative: 1e-6, "dK, \(c.testDescription)")
        expectClose(dV, fv, relative: 1e-6, "dV, \(c.testDescription)")
    }

    @Test("a gradient of the wrong shape is a ShapeError")
    func wrongShape() throws {
        let (q, k, v, _) = RecurrenceCase(n: 5, d: 3, dv: 2).inputs()
        #expect(throws: ShapeError.self) {
            try CausalAttention.linearBackward(q: q, k: k, v: v, outputGradient: Matrix(rows: 5, columns: 3))
        }
    }
}
