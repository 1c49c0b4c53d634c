import ChapterSupport
import Layers
import Matrices
import MultiScaleRetention
import Notebook
import Retention

extension Chapter06 {
    /// When ε > 0 the norm sees the factors: torchscale's three modes, each exact retention times its
    /// own row factors, differ as 1/√(1 + ε/(c² m)) predicts; this package's forms agree whatever ε is.
    func positiveEpsilon(_ nb: Notebook, _ example: LayerExample, gammas float32: [Double],
                         using rng: inout SplitMix64) throws {
        nb.section("When ε > 0: the factors show through")
        nb.prose("""
            With ε > 0 the norm computes x/√(m + ε), m the row's mean square (or variance), and a factor c
            no longer cancels: c x/√(c² m + ε) = (x/√m) · 1/√(1 + ε/(c² m)). The smaller c² m is next to ε,
            the more the output shrinks. torchscale's three modes each compute exact retention times a
            different c_n: its parallel mode applies D̃ and R̃; its recurrent mode carries S_n/√(Σ_p γ^p),
            which is D̃ alone; its chunkwise mode restarts D̃ inside every chunk and divides by the
            larger of two running scales. And its initial weights (Xavier with gain 2^{−2.5}) make the
            retention outputs small — their mean squares are of the order of ε = 1e-6.
            """)
        nb.equation("c·x / √(c² m + ε) = (x / √m) · 1/√(1 + ε / (c² m))",
                    latex: #"\frac{c\,x}{\sqrt{c^2 m + \varepsilon}} = \frac{x}{\sqrt m} \cdot \frac{1}{\sqrt{1 + \varepsilon / (c^2 m)}}"#)
        nb.prose("""
            So take torchscale's variant of the layer — weightless RMSNorm, float32 γ and θ — at its initial
            scale, with ε = \(Format.scientific(eps, 1)), and compute Y and MSR(X) with each mode's factors, against
            exact retention with ε = 0. Each Y must be exactly the ε = 0 output times the predicted
            1/√(1 + ε/(c² m)) per head and row (1e-12 relative), and the outputs must differ as much as that
            predicts:
            """)
        let (x, dv) = (example.x, example.dv)
        let tsRotation = try Rotation(keyDimension: dim / heads, precision: .float32)
        let ts = try MultiScaleRetentionLayer<Double>.random(
            embedDimension: dim, valueDimension: valueDim, heads: heads, headNorm: .rms(eps: eps),
            gammas: float32, rotation: tsRotation, using: &rng)
        let tsExactZero = try ts.with(headNorm: .rms(eps: 0)).pass(x)
        let meanSquares = (0..<length).flatMap { n in
            (0..<heads).map { h in HeadNorm<Double>.rms(eps: 0).spread(tsExactZero.retention.storage[(n * valueDim + h * dv)..<(n * valueDim + (h + 1) * dv)]) }
        }
        nb.say("mean square m of the exact heads' rows: from \(Format.scientific(meanSquares.min()!, 2)) to \(Format.scientific(meanSquares.max()!, 2))")
        let modes: [(String, RowScaling)] = [
            ("ours: exact retention", .exact), ("torchscale parallel (D̃, R̃)", .paper),
            ("torchscale recurrent (D̃)", .decay), ("torchscale chunkwise (B = \(chunkSize))", .torchscaleChunkwise(chunkSize: chunkSize)),
        ]
        var table: [[String]] = []
        var outputs: [String: Matrix<Double>] = [:]
        for (name, scaling) in modes {
            let result = try ts.pass(x, scaling: scaling)
            let predicted = Matrix<Double>(rows: length, columns: valueDim) { n, c in
                let h = c / dv
                let m = meanSquares[n * heads + h]
                return tsExactZero.normalised[n, c] * HeadNorm<Double>.epsilonFactor(spread: m, scale: result.rowFactors[h][n], eps: eps)
            }
            nb.check("\(name): Y = (ε = 0 output) · 1/√(1 + ε/(c² m)), every head and row", result.normalised, predicted,
                     tolerance: .relative(1e-12))
            let factors = result.rowFactors.flatMap { $0 }
            table.append([name, Format.scientific(factors.min()!, 2), Format.scientific(factors.max()!, 2),
                          Format.scientific(result.normalised.deviation(from: tsExactZero.normalised).maxRelative, 2),
                          Format.scientific(result.output.deviation(from: tsExactZero.output).maxRelative, 2)])
            outputs[name] = result.output
        }
        nb.table(["mode", "min c", "max c", "change of Y vs ε = 0", "change of MSR(X) vs ε = 0"], table)
        let chunkVsParallel = outputs[modes[3].0]!.deviation(from: outputs[modes[1].0]!).maxRelative
        let recurrentVsParallel = outputs[modes[2].0]!.deviation(from: outputs[modes[1].0]!).maxRelative
        nb.say("torchscale chunkwise vs its parallel mode: max relative difference of MSR(X) \(Format.scientific(chunkVsParallel, 2))",
               "torchscale recurrent vs its parallel mode: max relative difference of MSR(X) \(Format.scientific(recurrentVsParallel, 2))")
        let tsZero = try ts.with(headNorm: .rms(eps: 0))
        if chunkSize < length {
            nb.check("torchscale chunkwise vs parallel factors with ε = \(Format.scientific(eps, 1)): visibly different",
                     chunkVsParallel > 1e-10, "max relative difference \(Format.scientific(chunkVsParallel, 2)) > 1e-10")
        } else {
            // One chunk (B ≥ n): no chunk boundary, so torchscale's chunkwise factors are its parallel ones.
            nb.check("torchscale chunkwise with one chunk (B = \(chunkSize) ≥ n = \(length)) = its parallel mode, ε = \(Format.scientific(eps, 1))",
                     chunkVsParallel <= 1e-12, "max relative difference \(Format.scientific(chunkVsParallel, 2)) ≤ 1e-12")
        }
        nb.check("torchscale chunkwise vs parallel factors with ε = 0: the same",
                 try tsZero.pass(x, scaling: .torchscaleChunkwise(chunkSize: chunkSize)).output,
                 try tsZero.pass(x, scaling: .paper).output, tolerance: .relative(1e-12))
        nb.prose("""
            At this scale no row's score sum exceeds 1, so R̃ is 1 and torchscale's parallel and recurrent
            modes coincide; the chunkwise mode's factors are different ones. That is the disagreement
            readers of torchscale report as a bug: at ε = 1e-6 and initial weights its chunkwise logits
            differ from its parallel ones by about 1e-2. It is not a bug in the retention — each mode
            computes exact retention times a positive row factor — but the ε of the per-head norm seeing
            those factors; the maintainers' advice is to set ε = 0 to compare the modes. This package
            computes exact retention in every form, so its three forms agree whatever ε is:
            """)
        let oursParallel = try ts.pass(x).output
        nb.check("ours, ε = \(Format.scientific(eps, 1)): recurrent form = parallel form",
                 try ts(x, form: .recurrent).output, oursParallel, tolerance: .relative(1e-12))
        nb.check("ours, ε = \(Format.scientific(eps, 1)): chunkwise form = parallel form",
                 try ts(x, form: .chunkwise(chunkSize: chunkSize)).output, oursParallel, tolerance: .relative(1e-12))
        nb.prose("""
            The layer is complete: heads with their own memories, a norm that makes them comparable, a
            gate. Chapter 07 stacks it with a feed-forward network into the whole RetNet.
            """)
    }
}
