import Matrices
import Recurrence
import TestSupport
import Testing

/// Causal attention's backward passes — softmax and linear — against central differences of
/// their forward passes, in Double. Step and tolerance as `FiniteDifferences` explains: h = 1e-5
/// gives truncation and rounding errors of ~1e-10 for these O(1) inputs (none at all for linear
/// attention, which is linear in each of Q, K and V), so a correct gradient meets its difference
/// quotients to ~1e-9 relative; 1e-6 leaves a factor of 10³ while a softmax Jacobian without its
/// row term, a missing 1/√d, a missing mask or a masked score given a gradient is off by 1e-2 or more.
@Suite("CausalAttention's backward passes = central differences")
struct AttentionBackwardTests {
    /// Softmax or linear attention: its forward pass and its backward pass.
    enum Kind: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case softmax, linear
        var testDescription: String { rawValue }

        func forward(_ q: Matrix<Double>, _ k: Matrix<Double>, _ v: Matrix<Double>) throws -> Matrix<Double> {
            switch self {
            case .softmax: try CausalAttention.softmax(q: q, k: k, v: v)
            case .linear: try CausalAttention.linear(q: q, k: k, v: v)
            }
        }

        func backward(_ q: Matrix<Double>, _ k: Matrix<Double>, _ v: Matrix<Double>, _ dO: Matrix<Double>) throws
            -> (dQ: Matrix<Double>, dK: Matrix<Double>, dV: Matrix<Double>)
        {
            switch self {
            case .softmax: try CausalAttention.softmaxBackward(q: q, k: k, v: v, outputGradient: dO)
            case .linear: try CausalAttention.linearBackward(q: q, k: k, v: v, outputGradient: dO)
            }
        }
    }

    @Test("dQ, dK, dV", arguments: Kind.allCases, RecurrenceCase.all)
    func gradients(kind: Kind, c: RecurrenceCase) throws {
        let (q, k, v, _) = c.inputs()
        var rng = SplitMix64(seed: 77)
        let w = Matrix<Double>.gaussian(rows: c.n, columns: c.dv, using: &rng)
        let (dQ, dK, dV) = try kind.backward(q, k, v, w)
        let fq = try FiniteDifferences.gradient(of: q) { weightedSum(try kind.forward($0, k, v), w) }
        let fk = try FiniteDifferences.gradient(of: k) { weightedSum(try kind.forward(q, $0, v), w) }
        let fv = try FiniteDifferences.gradient(of: v) { weightedSum(try kind.forward(q, k, $0), w) }
        // With n = 1 softmax's one weight is 1 whatever the score: dQ and dK are exactly 0.
        expectClose(dQ, fq, relative: 1e-6, "\(kind) dQ, \(c.testDescription)")
        expectClose(dK, fk, relative: 1e-6, "\(kind) dK, \(c.testDescription)")
        expectClose(dV, fv, relative: 1e-6, "\(kind) dV, \(c.testDescription)")
    }

    @Test("a gradient of the wrong shape is a ShapeError", arguments: Kind.allCases)
    func wrongShape(kind: Kind) throws {
        let (q, k, v, _) = RecurrenceCase(n: 5, d: 3, dv: 2).inputs()
        #expect(throws: ShapeError.self) { try kind.backward(q, k, v, Matrix(rows: 5, columns: 3)) }
    }
}
