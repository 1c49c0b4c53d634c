import ArgumentParser
import ChapterSupport
import Diagonalisation
import Foundation
import Layers
import Matrices
import MultiScaleRetention
import Notebook
import RetNetModel
import Retention
import SafeTensors
import TorchscaleCheckpoint

extension Chapter10 {
    /// The per-head norm and the swish gate, differentiated, and what detaching the row factors
    /// (as torchscale does) means for the gradient at ε = 0 and ε > 0.
    func normAndGate(_ nb: Notebook) throws {
        nb.section("The norm, the gate, and the detached row factors")
        nb.prose("""
            Chapter 06 wrapped the heads in a per-head norm and a swish gate: MSR(X) = (swish(X W_G) ⊙ Y) W_O
            with Y = Norm_h(heads). Their backward passes are the chain rule again, now through
            non-linear functions: swish′(g) = σ(g)(1 + g(1 − σ(g))), and for a row's RMS norm
            y = x/√(m + ε), m = mean(x²),
            """)
        nb.equation("dx = (dy − y · mean(dy ⊙ y)) / √(m + ε)",
                    latex: #"dx = \frac{dy - y \cdot \operatorname{mean}(dy \odot y)}{\sqrt{m + \varepsilon}}"#)
        nb.prose("""
            These are not linear, so central differences now have a truncation error, and h must be
            small: h = 1e-5 makes the truncation h²/6 · |f‴| and the rounding δL/h each about 1e-10 for
            inputs of order 1, so a correct gradient agrees to ~1e-9; 1e-6 relative per tensor leaves
            a factor ~10³ for larger third derivatives and catches a dropped term of the norm's
            backward (off by 1e-2 to 1). A layer of torchscale's variant (weightless RMSNorm per head,
            h = 2 heads, E = 8, V = 12, 8 tokens), at ε = 0 and ε = 0.5 (large, so that its effect is
            visible):
            """)
        var layerRng = SplitMix64(seed: seed &+ 2)
        let layerX = Matrix<Double>.gaussian(rows: 8, columns: 8, using: &layerRng)
        let layerW = Matrix<Double>.gaussian(rows: 8, columns: 8, using: &layerRng)
        let rotation = try Rotation(keyDimension: 4)
        let initial = try MultiScaleRetentionLayer<Double>.random(
            embedDimension: 8, valueDimension: 12, heads: 2, headNorm: .rms(eps: 0), gammas: [1 - 1.0 / 32, 1 - 1.0 / 64],
            rotation: rotation, using: &layerRng)
        // W_Q and W_K 8× their initial scale, so that rows' score sums exceed 1 and R̃ depends on Q and K.
        let layerAtZero = try MultiScaleRetentionLayer<Double>(
            heads: 2, qProj: 8 * initial.qProj, kProj: 8 * initial.kProj, vProj: initial.vProj, gProj: initial.gProj,
            outProj: initial.outProj, headNorm: .rms(eps: 0), gammas: initial.gammas, rotation: rotation,
            keyScale: initial.keyScale)
        let layerAtHalf = try layerAtZero.with(headNorm: .rms(eps: 0.5))
        let gate = layerX * layerAtZero.gProj.transposed
        let dGate = try Activation.swish.backward(gate, outputGradient: Matrix(rows: gate.rows, columns: gate.columns, repeating: 1))
        nb.check("swish′ = central differences (h = 1e-5), on X W_G", dGate,
                 centralDifferences(of: gate, step: 1e-5) { weightedSum(Activation.swish($0), Matrix(rows: $0.rows, columns: $0.columns, repeating: 1)) },
                 tolerance: .relative(1e-6))
        let heads = try layerAtHalf.pass(layerX).retention
        let normW = Matrix<Double>.gaussian(rows: heads.rows, columns: heads.columns, using: &layerRng)
        var normGradients = NormGradients(zeroFor: layerAtHalf.headNorm)
        let dHeads = try layerAtHalf.headNorm.backward(heads, heads: 2, outputGradient: normW, gradients: &normGradients)
        nb.check("per-head RMSNorm (ε = 0.5) backward = central differences (h = 1e-5)", dHeads,
                 centralDifferences(of: heads, step: 1e-5) { weightedSum(layerAtHalf.headNorm.apply($0, heads: 2), normW) },
                 tolerance: .relative(1e-6))
        nb.prose("""
            Then the score normalisations of chapter 06. torchscale multiplies each head's rows by
            factors computed from Q, K and γ (the paper's D̃ and R̃; V enters only torchscale's chunkwise
            factors) and detaches them: autograd treats
            them as constants. `MultiScaleRetentionLayer.backward` does the same. At ε = 0 that changes
            nothing — the per-head norm removes any positive factor on a row, so L does not depend on
            the factors at all and the gradient with them held constant is the true gradient of the
            scaled layer. At ε > 0 the norm no longer removes them, and the gradient with detached
            factors is not the derivative of the function computed. The true derivative here is the
            central difference of the layer with the factors recomputed at every step. (D̃ depends on
            γ alone, and R̃'s row factor 1/max(|Σ_m R_nm|, 1) depends on Q and K only where a row's score sum
            exceeds 1; this layer's W_Q and W_K are 8× their initial scale so that it does — at the
            initial scale every factor is a constant and there is nothing to detach.)
            """)
        func layerLoss(_ layer: MultiScaleRetentionLayer<Double>, _ input: Matrix<Double>) throws -> Double {
            weightedSum(try layer.pass(input, scaling: .paper).output, layerW)
        }
        var zeroGradients = MultiScaleRetentionGradients(zeroFor: layerAtZero)
        let detachedAtZero = try layerAtZero.backward(layerX, outputGradient: layerW, scaling: .paper, gradients: &zeroGradients)
        let trueAtZero = try centralDifferences(of: layerX, step: 1e-5) { try layerLoss(layerAtZero, $0) }
        nb.check("ε = 0: dX with the factors detached = central differences of the scaled layer", detachedAtZero,
                 trueAtZero, tolerance: .relative(1e-6))
        var halfGradients = MultiScaleRetentionGradients(zeroFor: layerAtHalf)
        let detachedAtHalf = try layerAtHalf.backward(layerX, outputGradient: layerW, scaling: .paper, gradients: &halfGradients)
        let trueAtHalf = try centralDifferences(of: layerX, step: 1e-5) { try layerLoss(layerAtHalf, $0) }
        let gap = detachedAtHalf.deviation(from: trueAtHalf).maxRelative
        nb.check("ε = 0.5: dX with the factors detached ≠ the true derivative (gap > 1e-4, ≫ the 1e-6 of a difference quotient)",
                 gap > 1e-4, "max relative gap \(Format.scientific(gap))")
        var exactGradients = MultiScaleRetentionGradients(zeroFor: layerAtHalf)
        let exactAtHalf = try layerAtHalf.backward(layerX, outputGradient: layerW, scaling: .exact, gradients: &exactGradients)
        nb.check("ε = 0.5 without factors (exact retention): dX = central differences", exactAtHalf,
                 try centralDifferences(of: layerX, step: 1e-5) { weightedSum(try layerAtHalf.pass($0).output, layerW) },
                 tolerance: .relative(1e-6))
        nb.prose("""
            So the gap at ε = 0.5 is the detachment, not a mistake in the norm's backward pass: without
            factors the same layer at the same ε matches its differences. Which gradient is "right" is
            a choice; matching torchscale means making its choice, as the next section does.
            """)
    }
}
