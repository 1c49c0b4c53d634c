import ChapterSupport
import Foundation
import Matrices
import MultiScaleRetention
import Notebook
import Plots
import Retention

extension Chapter10 {
    /// The gradient that reaches key m from a loss at position n alone, against n − m, for the
    /// heads of Eq. 8: "a score's gradient decays as the score did", measured on the backward pass.
    func howFarAGradientReaches(_ nb: Notebook) throws {
        nb.section("How far back a gradient reaches")
        nb.prose("""
            Put the loss at one position n only (dO zero in every other row). Then dP has one
            non-zero row, dP_nm = γ^{n−m} (dO_n·V_m), and the gradient reaching key m is
            dK_m = γ^{n−m} (dO_n·V_m) Q_n: the credit a token m receives for what happened at n
            shrinks by γ per token of distance, exactly as its score did. Check that closed form
            against `ParallelRetention.backward` for n = 127 and each head of Eq. 8 (Double, 1e-12),
            then draw the average size of dK_m over 16 random draws against n − m:
            """)
        let (n, d, dv, draws) = (128, 8, 8, 16)
        let gammas = DecaySchedule.eq8.gammas(heads: 4)
        var worst = 0.0
        var curves: [[Double]] = []
        var rng = SplitMix64(seed: seed &+ 40)
        for gamma in gammas {
            let decay = try Decay(gamma)
            var sizes = [Double](repeating: 0, count: n)
            for _ in 0..<draws {
                let q = Matrix<Double>.gaussian(rows: n, columns: d, using: &rng)
                let k = Matrix<Double>.gaussian(rows: n, columns: d, using: &rng)
                let v = Matrix<Double>.gaussian(rows: n, columns: dv, using: &rng)
                let last = Matrix<Double>.gaussian(rows: 1, columns: dv, using: &rng)
                let dO = Matrix<Double>(rows: n, columns: dv) { i, j in i == n - 1 ? last[0, j] : 0 }
                let g = try ParallelRetention.backward(q: q, k: k, v: v, decay: decay, outputGradient: dO)
                for m in 0..<n {
                    let dot = (0..<dv).reduce(0.0) { $0 + last[0, $1] * v[m, $1] }
                    let factor = Double.pow(gamma, Double(n - 1 - m)) * dot
                    var size = 0.0
                    for c in 0..<d {
                        let expected = factor * q[n - 1, c]
                        worst = max(worst, abs(g.dK[m, c] - expected) / max(g.dK.storage.map(abs).max() ?? 1, .leastNormalMagnitude))
                        size += g.dK[m, c] * g.dK[m, c]
                    }
                    sizes[n - 1 - m] += size.squareRoot() / Double(draws)
                }
            }
            curves.append(sizes)
        }
        nb.check("dK_m = γ^{n−m} (dO_n·V_m) Q_n for every m, 4 heads × \(draws) draws", worst <= 1e-12,
                 "max |Δ| / max |dK| = \(Format.scientific(worst, 1))")
        let figurePath = "Figures/gradient-reach.svg"
        if page.writePage {
            let colors = ["#08519c", "#3182bd", "#6baed6", "#31a354"]
            let plot = LinePlot(
                title: "The gradient reaching key m from a loss at n alone: mean ‖dK_m‖ against n − m",
                x: try Axis("distance n − m (tokens)", range: 0...Double(n - 1)),
                y: try Axis("mean ‖dK_m‖ (16 draws)", range: 0.01...100, scale: .logarithmic),
                series: gammas.enumerated().map { i, gamma in
                    LinePlot.Series("head \(i): γ = 1 − 2^−\(5 + i)",
                                    points: curves[i].enumerated().compactMap { k, y in y > 0 ? (x: Double(k), y: y) : nil },
                                    color: colors[i % colors.count])
                },
                caption: "Single-head retention, d = d_v = 8, n = 128, 16 draws, Gaussian Q, K, V and dO_n, the loss at the last position "
                    + "only; `ParallelRetention.backward` of chapter 10. On log axes each head's credit falls on a straight line "
                    + "of slope ln γ: the decay the forward pass applied to the score.")
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent()
            try plot.svg(width: 900, height: 440).write(to: root.appendingPathComponent(figurePath), atomically: true, encoding: .utf8)
        }
        nb.figure(figurePath, caption: """
            What the decay does to long-range credit: the size of the gradient reaching key m from a
            loss at n, for the four heads of Eq. 8. Written by `chapter10 --write-page`.
            """)
    }
}
