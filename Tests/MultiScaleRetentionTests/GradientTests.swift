import Layers
import Matrices
import MultiScaleRetention
import Retention
import TestSupport
import Testing

/// The backward passes of chapter 06's pieces — the per-head norm and the whole layer (the
/// activations' and the rotation's own are LayersTests') — against central differences of their forward passes, in Double.
///
/// Step and tolerance (see `FiniteDifferences`): h = 1e-5; the truncation error h²/6 · |f‴| and
/// the rounding error δf/h are each ~1e-10 here (inputs and weights O(1), f a sum of O(10³)
/// rounded terms of size O(1)), so a correct gradient agrees with its difference quotients to
/// ~1e-9 relative per tensor (measured: printed). The tolerance 1e-6 relative per tensor leaves
/// a factor ~10³ for larger third derivatives, and fails on any real mistake: a dropped term of
/// a norm's backward (the mean of dx̂, the x̂ · mean(dx̂ x̂) term), a rotation by +θ instead of
/// −θ, a missing key scale, or a form's wrong decay, each off by 1e-2 to 1 relative.
@Suite("Gradients of multi-scale retention = finite differences (Double)")
struct MultiScaleRetentionGradientTests {
    static let tolerance = 1e-6

    static let norms: [(String, HeadNorm<Double>)] = {
        var rng = SplitMix64(seed: 11)
        let w = (0..<12).map { _ in 1 + 0.3 * rng.nextGaussian() }, b = (0..<12).map { _ in 0.3 * rng.nextGaussian() }
        return [("GroupNorm ε=0", .groupNorm(weight: w, bias: b, eps: 0)),
                ("GroupNorm ε=1e-2", .groupNorm(weight: w, bias: b, eps: 1e-2)),
                ("RMSNorm ε=0", .rms(eps: 0)), ("RMSNorm ε=1e-2", .rms(eps: 1e-2))]
    }()

    @Test("head norm: dX, dw, db = central differences", arguments: 0..<4)
    func headNorm(_ index: Int) throws {
        let (name, norm) = Self.norms[index]
        let x = inputs(rows: 5, columns: 12, seed: 21), w = inputs(rows: 5, columns: 12, seed: 22)
        var gradients = NormGradients(zeroFor: norm)
        let dX = try norm.backward(x, heads: 2, outputGradient: w, gradients: &gradients)
        expectClose(dX, FiniteDifferences.gradient(of: x) { weightedSum(norm.apply($0, heads: 2), w) },
                    relative: Self.tolerance, "\(name) dX")
        if case .groupNorm(let weight, let bias, let eps) = norm {
            let dw = FiniteDifferences.gradient(of: weight) {
                weightedSum(HeadNorm.groupNorm(weight: $0, bias: bias, eps: eps).apply(x, heads: 2), w)
            }
            let db = FiniteDifferences.gradient(of: bias) {
                weightedSum(HeadNorm.groupNorm(weight: weight, bias: $0, eps: eps).apply(x, heads: 2), w)
            }
            expectClose(row(gradients.weight), row(dw), relative: Self.tolerance, "\(name) dw")
            expectClose(row(gradients.bias), row(db), relative: Self.tolerance, "\(name) db")
        }
    }

    static let forms: [RetentionForm] = [.parallel, .recurrent, .chunkwise(chunkSize: 3)]

    @Test("layer: dX and every weight = central differences", arguments: 0..<4, 0..<3)
    func layer(_ normIndex: Int, _ formIndex: Int) throws {
        let (name, norm) = Self.norms[normIndex]
        let form = Self.forms[formIndex]
        let layer = try makeLayer(norm: norm, precision: normIndex % 2 == 0 ? .double : .float32)
        try checkLayer(layer, form: form, scaling: .exact, label: "\(name), \(form)")
    }

    /// At ε = 0 the per-head norm is invariant to a positive factor per head and row, so the
    /// paper's factors — which depend on Q and K — contribute nothing to the gradient: treating
    /// them as constants (as torchscale's `.detach()` does) gives the true gradient.
    @Test("paper's row factors at ε = 0: constants or not, one gradient", arguments: 0..<3)
    func paperFactorsAtZeroEpsilon(_ formIndex: Int) throws {
        let layer = try makeLayer(norm: Self.norms[2].1)
        try checkLayer(layer, form: Self.forms[formIndex], scaling: .paper, label: "RMSNorm ε=0, .paper")
    }

    /// At ε > 0 they do contribute: the gradient with constant factors is *not* the derivative
    /// of the function `pass` computes. This shows the backward pass really holds them fixed
    /// (and that the check above could fail): the difference is of order ε's effect, ≫ 1e-6.
    @Test("paper's row factors at ε > 0: held constant, so ≠ the full derivative")
    func paperFactorsDetached() throws {
        let layer = try makeLayer(norm: .rms(eps: 0.5))
        let x = inputs(rows: 7, columns: 8, seed: 31), w = inputs(rows: 7, columns: 8, seed: 32)
        var gradients = MultiScaleRetentionGradients(zeroFor: layer)
        let dX = try layer.backward(x, outputGradient: w, scaling: .paper, gradients: &gradients)
        let full = try FiniteDifferences.gradient(of: x) { weightedSum(try layer.pass($0, scaling: .paper).output, w) }
        let gap = relativeError(dX, full)
        #expect(gap > 1e-4, "constant row factors should change dX at ε = 0.5, relative gap \(gap)")
    }

    /// Checks dX and every weight's gradient of L = Σ MSR(X) ⊙ W against central differences.
    func checkLayer(_ layer: MultiScaleRetentionLayer<Double>, form: RetentionForm, scaling: RowScaling,
                    label: String) throws
    {
        let x = inputs(rows: 7, columns: 8, seed: 31), w = inputs(rows: 7, columns: 8, seed: 32)
        var gradients = MultiScaleRetentionGradients(zeroFor: layer)
        let dX = try layer.backward(x, outputGradient: w, form: form, scaling: scaling, gradients: &gradients)
        func loss(_ l: MultiScaleRetentionLayer<Double>, _ input: Matrix<Double> = x) throws -> Double {
            weightedSum(try l.pass(input, form: form, scaling: scaling).output, w)
        }
        var worst = 0.0
        func check(_ got: Matrix<Double>, _ expected: Matrix<Double>, _ what: String) {
            worst = Swift.max(worst, expectClose(got, expected, relative: Self.tolerance, "\(label) \(what)").error)
        }
        check(dX, try FiniteDifferences.gradient(of: x) { try loss(layer, $0) }, "dX")
        let weights: [(String, Matrix<Double>, Matrix<Double>)] = [
            ("q_proj", layer.qProj, gradients.qProj), ("k_proj", layer.kProj, gradients.kProj),
            ("v_proj", layer.vProj, gradients.vProj), ("g_proj", layer.gProj, gradients.gProj),
            ("out_proj", layer.outProj, gradients.outProj)]
        for (name, weight, gradient) in weights {
            check(gradient, try FiniteDifferences.gradient(of: weight) { try loss(try layer.replacing(name, with: $0)) }, name)
        }
        if case .groupNorm(let weight, let bias, let eps) = layer.headNorm {
            let dw = try FiniteDifferences.gradient(of: weight) {
                try loss(try layer.with(headNorm: .groupNorm(weight: $0, bias: bias, eps: eps)))
            }
            let db = try FiniteDifferences.gradient(of: bias) {
                try loss(try layer.with(headNorm: .groupNorm(weight: weight, bias: $0, eps: eps)))
            }
            check(row(gradients.headNorm.weight), row(dw), "group_norm.weight")
            check(row(gradients.headNorm.bias), row(db), "group_norm.bias")
        }
        print("layer gradients, \(label): worst relative error against central differences \(Format.scientific(worst, 2))")
    }
}

/// A vector as a 1×n matrix, for `expectClose`.
func row(_ values: [Double]) -> Matrix<Double> { Matrix(rows: 1, columns: values.count, entries: values) }

extension MultiScaleRetentionLayer<Double> {
    /// The layer with projection `name` (q_proj, k_proj, v_proj, g_proj, out_proj) replaced.
    func replacing(_ name: String, with weight: Matrix<Double>) throws -> MultiScaleRetentionLayer<Double> {
        try MultiScaleRetentionLayer(
            heads: heads, qProj: name == "q_proj" ? weight : qProj, kProj: name == "k_proj" ? weight : kProj,
            vProj: name == "v_proj" ? weight : vProj, gProj: name == "g_proj" ? weight : gProj,
            outProj: name == "out_proj" ? weight : outProj, headNorm: headNorm, gammas: gammas, rotation: rotation,
            keyScale: keyScale)
    }
}
