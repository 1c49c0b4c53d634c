import FastRetention
import Matrices
import Retention
import Testing
@testable import Kernels
import Measuring

/// The tiled parallel form: GEMM tiles over the lower triangle equal the reference, within the
/// same componentwise Float bound as the other retention kernels, across tile boundaries.
@Suite struct TiledParallelTests {
    /// Shapes below, at and across one tile (128), ragged in every dimension.
    static let shapes: [[Int]] = [[1, 1, 1], [7, 7, 17], [97, 33, 17], [128, 16, 8], [129, 8, 5], [300, 16, 24],
                                  [257, 2, 33]]

    @Test(arguments: shapes)
    func matchesTheReferenceOutputsAndState(shape: [Int]) throws {
        let (n, dk, dv) = (shape[0], shape[1], shape[2])
        let gamma: Float = 1 - 1.0 / 32
        let (q, k, v) = retentionInputs(n: n, dk: dk, dv: dv, seed: UInt64(7 * n + dk + dv))
        let reference = try RetentionAccuracy(q: q, k: k, v: v, gamma: gamma)
        let got = try RetentionKernels.tiledParallel(q: q, k: k, v: v, decay: Decay(gamma))
        reference.expectClose(got.outputs, "tiled parallel \(n)×\(dk)×\(dv)")
        reference.expectStateClose(got.state, "tiled parallel \(n)×\(dk)×\(dv)")
        #expect(got.state.position == n)
    }

    @Test func agreesWithTheRowKernelAndNoDecay() throws {
        // γ = 1: D is the plain causal mask, the largest sums (no term decays away).
        let (q, k, v) = retentionInputs(n: 200, dk: 12, dv: 7, seed: 3)
        let reference = try RetentionAccuracy(q: q, k: k, v: v, gamma: 1)
        let got = try RetentionKernels.tiledParallel(q: q, k: k, v: v, decay: Decay(1))
        reference.expectClose(got.outputs, "tiled parallel, γ = 1")
    }

    @Test func aWrongDecayIsCaught() throws {
        // The same bound rejects γ² in place of γ: the check can fail.
        let (q, k, v) = retentionInputs(n: 150, dk: 8, dv: 4, seed: 5)
        let reference = try RetentionAccuracy(q: q, k: k, v: v, gamma: 0.9)
        let wrong = try RetentionKernels.tiledParallel(q: q, k: k, v: v, decay: Decay(0.81))
        let w = reference.error(of: wrong.outputs)
        #expect(w.ratio > reference.bound)
    }

    @Test func emptyAndBadInputs() throws {
        let empty = try RetentionKernels.tiledParallel(q: Matrix(rows: 0, columns: 4), k: Matrix(rows: 0, columns: 4),
                                                        v: Matrix(rows: 0, columns: 3), decay: Decay(0.9))
        #expect(empty.outputs.shape == Shape(rows: 0, columns: 3) && empty.state.position == 0)
        #expect(throws: RetentionError.self) {
            try RetentionKernels.tiledParallel(q: Matrix(rows: 2, columns: 4), k: Matrix(rows: 2, columns: 3),
                                               v: Matrix(rows: 2, columns: 3), decay: Decay(0.9))
        }
    }
}
