import Matrices
import TestSupport
import MultiScaleRetention
import Testing

@Suite("Per-head norms")
struct HeadNormTests {
    @Test("GroupNorm by hand: (x − μ)/√(σ² + ε)·w + b per head")
    func groupNormByHand() {
        // h = 3 heads of 2: [1, 3] → μ 2, σ² 1; [10, 12] → μ 11, σ² 1; [14, 10] → μ 12, σ² 4.
        let x = Matrix<Double>([[1, 3, 10, 12, 14, 10]])
        let norm = HeadNorm<Double>.groupNorm(weight: [1, 2, 1, 1, 3, 3], bias: [0, 0.5, 0, 0, 1, -1], eps: 0)
        #expect(norm.apply(x, heads: 3) == Matrix([[-1, 2.5, -1, 1, 4, -4]]))
        let constant = HeadNorm<Double>.groupNorm(width: 2, eps: 0).apply(Matrix([[5, 5]]), heads: 1)
        #expect(constant[0, 0].isNaN, "a constant head row with ε = 0 is 0/0, as in PyTorch")
        let withEps = HeadNorm<Double>.groupNorm(weight: [1, 1], bias: [0, 0], eps: 3).apply(Matrix([[1, 3]]), heads: 1)
        #expect(withEps == Matrix([[-0.5, 0.5]]))  // σ² = 1, √(1 + 3) = 2
    }

    @Test("weightless RMSNorm by hand: x / √(mean(x²) + ε)")
    func rmsByHand() {
        let y = HeadNorm<Double>.rms(eps: 0).apply(Matrix([[3, 4, 0, 2]]), heads: 2)  // ms 12.5 and 2
        expectClose(y, Matrix([[3 / 12.5.squareRoot(), 4 / 12.5.squareRoot(), 0, 2 / 2.0.squareRoot()]]), relative: 1e-15, "RMSNorm")
        let eps = HeadNorm<Double>.rms(eps: 7).apply(Matrix([[3, 3]]), heads: 1)  // ms 9, √16 = 4
        #expect(eps == Matrix([[0.75, 0.75]]))
    }

    @Test("ε = 0: invariant to a positive factor per head and row; ε > 0: shrinks by 1/√(1 + ε/(c² m))")
    func invarianceAndEpsilonFactor() {
        let x = inputs(rows: 7, columns: 12, seed: 9).map { 1e-3 * $0 }
        var rng = SplitMix64(seed: 4)
        let c = (0..<(7 * 3)).map { _ in Double.exp(4 * rng.nextGaussian()) }  // factors from ~1e-5 to ~1e5
        let scaled = Matrix<Double>(rows: 7, columns: 12) { n, j in c[n * 3 + j / 4] * x[n, j] }
        for norm in [HeadNorm<Double>.rms(eps: 0), .groupNorm(width: 12, eps: 0)] {
            expectClose(norm.apply(scaled, heads: 3), norm.apply(x, heads: 3), relative: 1e-13, "\(norm) with scaled rows")
            let eps = 1e-6
            let predicted = Matrix<Double>(rows: 7, columns: 12) { n, j in
                let m = norm.spread(x.storage[(n * 12 + (j / 4) * 4)..<(n * 12 + (j / 4) * 4 + 4)])
                return norm.apply(x, heads: 3)[n, j] * HeadNorm<Double>.epsilonFactor(spread: m, scale: c[n * 3 + j / 4], eps: eps)
            }
            let measured = norm.with(eps: eps).apply(scaled, heads: 3)
            expectClose(measured, predicted, relative: 1e-12, "\(norm), ε = 1e-6, predicted shrink")
            #expect(relativeError(measured, norm.apply(x, heads: 3)) > 1e-3, "ε = 1e-6 should visibly change rows with c² m ≈ ε")
        }
    }
}
