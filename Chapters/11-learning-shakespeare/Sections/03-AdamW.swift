import ChapterSupport
import FastRetNet
import FastTraining
import Foundation
import Matrices
import MultiScaleRetention
import Notebook
import Plots
import RetNetModel
import TorchscaleCheckpoint
import Training

extension Chapter11 {
    /// AdamW: one step on a toy tensor, and which of the model's tensors decay.
    func adamW(_ nb: Notebook, initial: RetNet<Float>) throws {
        nb.section("AdamW")
        nb.prose("""
            Plain gradient descent moves each weight by η g: weights whose gradients are tiny barely
            move. Adam divides each weight's step by a running root mean square of its own gradient,
            so every weight moves by about η whatever the size of its gradient; AdamW (Loshchilov &
            Hutter) also shrinks the weights by η λ directly — *decoupled* from the gradient, where
            Adam's division would distort it. For each weight, at step t = 1, 2, …:
            """)
        nb.equation("m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²,   w ← w (1 − η λ) − η (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)",
                    latex: #"m \leftarrow \beta_1 m + (1-\beta_1) g, \quad v \leftarrow \beta_2 v + (1-\beta_2) g^2, \quad w \leftarrow w(1-\eta\lambda) - \eta \frac{m/(1-\beta_1^t)}{\sqrt{v/(1-\beta_2^t)} + \epsilon}"#)
        nb.prose("""
            The divisions by 1 − βᵗ undo the zeros m and v start from. At t = 1, m = (1 − β₁) g and
            v = (1 − β₂) g², so without them the step would be η g (1 − β₁)/√(1 − β₂)/|g| — with
            PyTorch's default β₂ = 0.999, 0.1/0.0316 = 3.16 times η; with them it is exactly
            η g/(|g| + ε): η in the direction of −g, for a gradient of 10² as for one of 10⁻⁴ (where
            ε = 10⁻⁸ takes 10⁻⁴ of the step). Check that on three weights at 0.5, without decay
            (λ = 0), β₂ = 0.999: the new weights are rounded to Float, whose spacing near 0.5 is
            6e-8, so the steps agree to 1e-7, and ε's share of the first is ten times that.
            (nanoGPT's β₂ = 0.99, used for training below, would hide the correction at t = 1:
            (1 − 0.9)/√(1 − 0.99) = 1.)
            """)
        let adam = try AdamW(beta1: 0.9, beta2: 0.999, weightDecay: 0)
        let gradients: [Double] = [1e-4, -3, 100]
        var toy = [NamedTensor(name: "w", shape: [1, 3], values: [0.5, 0.5, 0.5])]
        var toyState = AdamW.State(zeroFor: toy)
        try adam.update(&toy, gradients: [NamedTensor(name: "w", shape: [1, 3], values: gradients.map { Float($0) })],
                        learningRate: 1e-2, state: &toyState)
        let moved = Matrix<Double>(rows: 1, columns: 3, entries: toy[0].values.map { Double($0) - 0.5 })
        let uncorrected = gradients.map { g in -1e-2 * (0.1 * g) / ((0.001 * g * g).squareRoot() + 1e-8) }
        nb.show("w after one step − w before (gradients 1e-4, −3, 100; η = 0.01)", moved, digits: 6)
        nb.show("the same step without the bias corrections", Matrix(rows: 1, columns: 3, entries: uncorrected), digits: 6)
        let expectedSteps = gradients.map { g in -1e-2 * g / (abs(g) + 1e-8) }
        nb.check("each weight moved by −η g/(|g| + ε) ≈ −η sign(g), not the uncorrected ≈ −3.16 η sign(g)", moved,
                 Matrix(rows: 1, columns: 3, entries: expectedSteps), tolerance: .absolute(1e-7))
        nb.prose("""
            Which weights decay follows nanoGPT: every matrix (the projections, the FFN, the token
            embedding and the output projection), and no vector (the norms' weights). Decay pulls a
            weight towards 0; a norm's weight is a scale whose neutral value is 1. Check it on the
            model itself: one step with every gradient 0 and λ = 0.1, η = 0.01. Adam's part is then 0
            (m = v = 0), so a matrix must shrink by the factor 1 − ηλ = 0.999 — each weight within
            two Float roundings (the factor's and the product's, 2 · 2⁻²⁴ relative) — and a vector
            must not change by a bit:
            """)
        let decaying = try AdamW(beta1: 0.9, beta2: 0.99, weightDecay: 0.1)
        let before = initial.parameters
        var after = before
        var state = AdamW.State(zeroFor: before)
        let zeros = before.map { NamedTensor(name: $0.name, shape: $0.shape, values: [Float](repeating: 0, count: $0.values.count)) }
        try decaying.update(&after, gradients: zeros, learningRate: 1e-2, state: &state)
        var shrunk: [String] = [], kept: [String] = [], wrong: [String] = []
        for (b, a) in zip(before, after) {
            if b.shape.count >= 2 {
                var worst = 0.0
                for (old, new) in zip(b.values, a.values) where old != 0 {
                    let expected: Double = Double(old) * 0.999
                    worst = max(worst, abs(Double(new) - expected) / abs(Double(old)))
                }
                if worst <= 2 * 0x1p-24 && b.values.contains(where: { $0 != 0 }) { shrunk.append(b.name) } else { wrong.append(b.name) }
            } else if zip(b.values, a.values).allSatisfy({ $0.bitPattern == $1.bitPattern }) {
                kept.append(b.name)
            } else {
                wrong.append(b.name)
            }
        }
        nb.say("shrunk by 0.999: \(shrunk.count) matrices, \(Format.grouped(before.filter { $0.shape.count >= 2 }.reduce(0) { $0 + $1.values.count })) "
               + "weights; unchanged: \(kept.count) vectors (\(kept.joined(separator: ", ")))")
        nb.check("one step with g = 0 shrinks every matrix by 1 − ηλ and leaves every vector as it was",
                 wrong.isEmpty && !shrunk.isEmpty && !kept.isEmpty,
                 wrong.isEmpty ? "\(shrunk.count) matrices, \(kept.count) vectors" : "wrong: " + wrong.joined(separator: ", "))
    }
}
