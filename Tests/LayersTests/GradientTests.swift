import Layers
import Matrices
import TestSupport
import Testing

/// The backward passes of the layers every decoder shares — the activations, the rotation, the
/// block norms and the FFN — against central differences of their forward passes, in Double.
///
/// Step and tolerance (see `FiniteDifferences`): h = 1e-5; the truncation error h²/6 · |f‴| and
/// the rounding error δf/h are each ~1e-10 here (inputs and weights O(1)), so a correct gradient
/// agrees with its difference quotients to ~1e-9 relative per tensor. The tolerance 1e-6 relative
/// per tensor leaves a factor ~10³ for larger third derivatives, and fails on any real mistake: a
/// dropped term of a norm's backward, a rotation by +θ instead of −θ, a GLU's missing gate term,
/// each off by 1e-2 to 1 relative.
@Suite("Gradients of the shared layers = finite differences (Double)")
struct LayerGradientTests {
    static let tolerance = 1e-6

    @Test("activation′ = central difference", arguments: Activation.allCases)
    func activation(_ activation: Activation) throws {
        let xs = stride(from: -8.0, through: 8.0, by: 0.37).map { $0 }
        let x = Matrix(rows: 1, columns: xs.count, entries: xs)
        let difference = Matrix(rows: 1, columns: xs.count, entries: xs.indices.map { i in
            FiniteDifferences.gradient(of: [xs[i]]) { activation($0[0]) }[0]
        })
        let ones = Matrix<Double>(rows: 1, columns: xs.count, repeating: 1)
        expectClose(try activation.backward(x, outputGradient: ones), difference, relative: Self.tolerance,
                    "\(activation)′ on [−8, 8]")
    }

    /// The backward pass is the transpose of the matrix the forward pass applied: ⟨R x, y⟩ =
    /// ⟨x, Rᵀ y⟩ for every x, y, both sides sums of 54 products of O(1) terms (1e-13 each is
    /// hundreds of ulps; rotating the gradient by +θ instead gives O(1)). And Rᵀ R x = x: each
    /// pair is multiplied by c² + s² exactly (the cross terms cancel), which is 1 to rounding in
    /// Double, but in `.float32` c and s are each rounded to float32 (relative error ≤ u = 2⁻²⁴),
    /// so c² + s² = 1 ± (2u + u²) ≈ 1 ± 1.2e-7: the float32 rotation is orthogonal only that far.
    @Test("rotation backward = transpose", arguments: [Rotation.Precision.double, .float32])
    func rotation(_ precision: Rotation.Precision) throws {
        let rotation = try Rotation(keyDimension: 6, precision: precision)
        let x = inputs(rows: 9, columns: 6, seed: 3), y = inputs(rows: 9, columns: 6, seed: 4)
        let rx = try rotation.apply(x, offset: 5)
        let rty = try rotation.backward(outputGradient: y, offset: 5)
        let left = weightedSum(rx, y), right = weightedSum(x, rty)
        #expect(Swift.abs(left - right) <= 1e-13 * 54, "⟨R x, y⟩ = \(left), ⟨x, Rᵀ y⟩ = \(right)")
        let orthogonality = precision == .double ? 1e-14 : 1.2e-7
        expectClose(try rotation.backward(outputGradient: rx, offset: 5), x, relative: orthogonality, "Rᵀ R x = x")
    }

    static let norms: [(String, BlockNorm<Double>)] = {
        var rng = SplitMix64(seed: 5)
        let w = (0..<8).map { _ in 1 + 0.3 * rng.nextGaussian() }, b = (0..<8).map { _ in 0.3 * rng.nextGaussian() }
        return [("LayerNorm ε=0", .layerNorm(weight: w, bias: b, eps: 0)),
                ("LayerNorm ε=1e-2", .layerNorm(weight: w, bias: b, eps: 1e-2)),
                ("RMSNorm ε=0", .rms(weight: w, eps: 0)), ("RMSNorm ε=1e-2", .rms(weight: w, eps: 1e-2))]
    }()

    static func matrix(_ rows: Int, _ columns: Int, seed: UInt64) -> Matrix<Double> {
        var rng = SplitMix64(seed: seed)
        return .gaussian(rows: rows, columns: columns, using: &rng)
    }

    @Test("block norm: dX, dw, db = central differences", arguments: 0..<4)
    func blockNorm(_ index: Int) throws {
        let (name, norm) = Self.norms[index]
        let x = Self.matrix(5, 8, seed: 1), w = Self.matrix(5, 8, seed: 2)
        var gradients = NormGradients(zeroFor: norm)
        let dX = try norm.backward(x, outputGradient: w, gradients: &gradients)
        expectClose(dX, FiniteDifferences.gradient(of: x) { weightedSum(norm.apply($0), w) }, relative: Self.tolerance,
                    "\(name) dX")
        switch norm {
        case .layerNorm(let weight, let bias, let eps):
            let dw = FiniteDifferences.gradient(of: weight) { weightedSum(BlockNorm.layerNorm(weight: $0, bias: bias, eps: eps).apply(x), w) }
            let db = FiniteDifferences.gradient(of: bias) { weightedSum(BlockNorm.layerNorm(weight: weight, bias: $0, eps: eps).apply(x), w) }
            expectClose(row(gradients.weight), row(dw), relative: Self.tolerance, "\(name) dw")
            expectClose(row(gradients.bias), row(db), relative: Self.tolerance, "\(name) db")
        case .rms(let weight, let eps):
            let dw = FiniteDifferences.gradient(of: weight) { weightedSum(BlockNorm.rms(weight: $0, eps: eps).apply(x), w) }
            expectClose(row(gradients.weight), row(dw), relative: Self.tolerance, "\(name) dw")
            #expect(gradients.bias.isEmpty, "\(name) has no bias gradient")
        }
    }

    @Test("FFN: dX and every weight = central differences", arguments: [false, true], Activation.allCases)
    func feedForward(glu: Bool, activation: Activation) throws {
        let (fc1, gate, fc2) = (Self.matrix(10, 8, seed: 3), Self.matrix(10, 8, seed: 4), Self.matrix(8, 10, seed: 5))
        func ffn(_ a: Matrix<Double>, _ g: Matrix<Double>, _ b: Matrix<Double>) -> FeedForward<Double> {
            glu ? .glu(fc1: a, gate: g, fc2: b, activation: activation) : .plain(fc1: a, fc2: b, activation: activation)
        }
        let x = Self.matrix(4, 8, seed: 6), w = Self.matrix(4, 8, seed: 7)
        let label = "\(glu ? "GLU" : "plain") \(activation)"
        var gradients = FeedForwardGradients(zeroFor: ffn(fc1, gate, fc2))
        let dX = try ffn(fc1, gate, fc2).backward(x, outputGradient: w, gradients: &gradients)
        expectClose(dX, FiniteDifferences.gradient(of: x) { weightedSum(ffn(fc1, gate, fc2)($0), w) },
                    relative: Self.tolerance, "\(label) dX")
        expectClose(gradients.fc1, FiniteDifferences.gradient(of: fc1) { weightedSum(ffn($0, gate, fc2)(x), w) },
                    relative: Self.tolerance, "\(label) fc1")
        expectClose(gradients.fc2, FiniteDifferences.gradient(of: fc2) { weightedSum(ffn(fc1, gate, $0)(x), w) },
                    relative: Self.tolerance, "\(label) fc2")
        if glu {
            let dGate = try #require(gradients.gate, "\(label): a gate gradient")
            expectClose(dGate, FiniteDifferences.gradient(of: gate) { weightedSum(ffn(fc1, $0, fc2)(x), w) },
                        relative: Self.tolerance, "\(label) gate")
        } else {
            #expect(gradients.gate == nil, "\(label) has no gate")
        }
    }
}
