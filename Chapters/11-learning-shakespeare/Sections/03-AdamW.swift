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
            The divisions by 1 − βᵗ undo the zeros m and v start from; at t = 1 they make the step
            exactly η g/(|g| + ε): η in the direction of −g, for a gradient of 10² as for one of 10⁻⁴
            (where ε = 10⁻⁸ takes 10⁻⁴ of the step). Check that on three weights at 0.5, without decay
            (λ = 0): the new weights are rounded to Float, whose spacing near 0.5 is 6e-8, so the
            steps agree to 1e-7, and ε's share of the first is ten times that.
            """)
        let adam = try AdamW(beta1: 0.9, beta2: 0.99, weightDecay: 0)
        var toy = [NamedTensor(name: "w", shape: [1, 3], values: [0.5, 0.5, 0.5])]
        var toyState = AdamW.State(zeroFor: toy)
        try adam.update(&toy, gradients: [NamedTensor(name: "w", shape: [1, 3], values: [1e-4, -3, 100])], learningRate: 1e-2,
                        state: &toyState)
        let moved = Matrix<Double>(rows: 1, columns: 3, entries: toy[0].values.map { Double($0) - 0.5 })
        nb.show("w after one step − w before (gradients 1e-4, −3, 100; η = 0.01)", moved, digits: 6)
        let expectedSteps = [1e-4, -3, 100].map { g in -1e-2 * g / (abs(g) + 1e-8) }
        nb.check("each weight moved by −η g/(|g| + ε) ≈ −η sign(g)", moved, Matrix(rows: 1, columns: 3, entries: expectedSteps),
                 tolerance: .absolute(1e-7))
        let tensors = initial.parameters
        let decaying = tensors.filter { AdamW.decays(shape: $0.shape) }
        nb.prose("""
            Which weights decay follows nanoGPT: every matrix (the projections, the FFN, the token
            embedding and the output projection), and no vector (the norms' weights). Decay pulls a
            weight towards 0; a norm's weight is a scale whose neutral value is 1.
            """)
        nb.say("decayed: \(decaying.count) matrices, \(Format.grouped(decaying.reduce(0) { $0 + $1.values.count })) weights; "
               + "not decayed: \(tensors.count - decaying.count) vectors (\(tensors.filter { !AdamW.decays(shape: $0.shape) }.map(\.name).joined(separator: ", ")))")
        nb.check("every 2-D tensor decays and no 1-D one does",
                 tensors.allSatisfy { AdamW.decays(shape: $0.shape) == ($0.shape.count == 2) }, "\(tensors.count) tensors")
    }
}
