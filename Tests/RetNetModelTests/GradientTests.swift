import Matrices
import MultiScaleRetention
import Retention
import RetNetModel
import TestSupport
import Testing

/// The backward passes of chapter 07 — block norms, FFNs, a block and the whole model with its
/// next-token loss — against central differences of the forward passes, in Double; and the
/// three retention forms' whole-model gradients against each other.
///
/// Step and tolerance (see `FiniteDifferences`): h = 1e-5, truncation h²/6 · |f‴| and rounding
/// δf/h each ~1e-10 for these O(1) weights and inputs, so a correct gradient meets its
/// difference quotients to ~1e-9 relative per tensor; the worst measured is 4e-8 (printed), on
/// tensors whose largest gradient is small beside the loss's rounding δf ≈ 1e-16 · 3 · 10³,
/// which the division by 2h turns into ~1e-8 absolute. 1e-6 relative per tensor leaves a
/// factor 25 over that worst case, while a missing residual, a norm term or a token's
/// embedding row added once instead of twice is off by 1e-2 to 1.
@Suite("Gradients of the RetNet = finite differences (Double)")
struct RetNetGradientTests {
    static let tolerance = 1e-6
    static let variants: [RetNetConfig.Variant] = [.paper, .torchscale]
    static let forms: [RetentionForm] = [.parallel, .recurrent, .chunkwise(chunkSize: 3)]

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

    @Test("block: dX = central differences (weights: through the whole model below)", arguments: variants)
    func block(variant: RetNetConfig.Variant) throws {
        let block = try tinyModel(variant, eps: 1e-2).blocks[0]
        let x = Self.matrix(6, 8, seed: 8), w = Self.matrix(6, 8, seed: 9)
        for form in Self.forms {
            var gradients = RetNetBlockGradients(zeroFor: block)
            let dX = try block.backward(x, outputGradient: w, form: form, gradients: &gradients)
            let expected = try FiniteDifferences.gradient(of: x) { weightedSum(try block($0, form: form, from: nil).output, w) }
            expectClose(dX, expected, relative: Self.tolerance, "\(variant) block, \(form): dX")
        }
    }

    /// Every entry of every weight of a two-layer model, in each form, with the real loss, at
    /// ε = 1e-2 (so the norms' ε terms are exercised) and a sequence in which tokens repeat (so
    /// an embedding row collects several rows' gradients).
    @Test("whole model: every weight's gradient = central differences", arguments: variants, 0..<3)
    func wholeModel(variant: RetNetConfig.Variant, formIndex: Int) throws {
        let form = Self.forms[formIndex]
        let model = try tinyModel(variant, eps: 1e-2)
        let input = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]
        let (loss, gradients) = try model.gradients(input, form: form)
        #expect(Swift.abs(loss - (try model.loss(input, form: form))) <= 1e-15 * loss, "the loss both ways")
        let named = gradients.named
        #expect(named.map(\.name) == model.namedWeights.map(\.name), "one gradient per weight, in checkpoint order")
        var worst = (0.0, "none")
        for entry in named {
            let expected = try FiniteDifferences.gradient(of: model.weight(entry.name)) {
                try model.replacing(entry.name, with: $0).loss(input, form: form)
            }
            let m = expectClose(asMatrix(entry.values, like: entry.shape), asMatrix(expected, like: entry.shape),
                                relative: Self.tolerance, "\(variant) \(form): \(entry.name)")
            if m.error > worst.0 { worst = (m.error, entry.name) }
        }
        print("whole-model gradients, \(variant) \(form): \(named.count) tensors, loss \(loss), worst relative error "
              + "\(Format.scientific(worst.0, 2)) (\(worst.1))")
    }

    /// The three forms compute the same function, so the same gradients. Each head's backward
    /// passes agree to ~1e-15 relative (the retention tests bound them by the rounding of their
    /// terms); the blocks' norms, FFNs and the softmax amplify such differences by modest
    /// factors (≤ 10² for these O(1) weights), so the whole-model gradients agree to ~1e-13
    /// (measured: 3.4e-15, printed). 1e-10 leaves three orders of magnitude over the estimate, and a state read a chunk late or a decay power off
    /// by one moves gradients by 1e-2 or more.
    @Test("the three forms give one gradient (≤ 1e-10 relative per tensor)", arguments: variants)
    func formsAgree(variant: RetNetConfig.Variant) throws {
        let model = try tinyModel(variant, eps: 1e-6)
        let input = tokens(17, vocabulary: tinyVocabulary, seed: 4)
        let parallel = try model.gradients(input, form: .parallel)
        var worst = 0.0
        for form in [RetentionForm.recurrent, .chunkwise(chunkSize: 1), .chunkwise(chunkSize: 4), .chunkwise(chunkSize: 40)] {
            let other = try model.gradients(input, form: form)
            #expect(Swift.abs(other.loss - parallel.loss) <= 1e-13 * parallel.loss, "\(variant) \(form): loss")
            for (a, b) in zip(other.gradients.named, parallel.gradients.named) {
                let m = expectClose(asMatrix(a.values, like: a.shape), asMatrix(b.values, like: b.shape), relative: 1e-10,
                                    "\(variant) \(form) vs parallel: \(a.name)")
                worst = Swift.max(worst, m.error)
            }
        }
        print("forms' gradients, \(variant): worst relative difference from parallel \(Format.scientific(worst, 2))")
    }

    @Test("bad input: typed errors")
    func errors() throws {
        let model = try tinyModel(.torchscale)
        #expect(throws: RetNetError.argument(name: "tokens", expected: "at least 2 tokens (the loss predicts each next token)",
                                             got: "1")) { try model.gradients([3]) }
        #expect(throws: RetNetError.token(position: 1, id: tinyVocabulary, vocabularySize: tinyVocabulary)) {
            try model.gradients([3, tinyVocabulary])
        }
        #expect(throws: RetNetError.layer(0, .head(0, .chunkSize(0)))) {
            try model.gradients([3, 1, 4], form: .chunkwise(chunkSize: 0))
        }
        var wrong = MultiScaleRetentionGradients(zeroFor: model.blocks[0].retention)
        wrong.qProj = Matrix(rows: 1, columns: 1)
        #expect(throws: MultiScaleRetentionError.self) {
            try model.blocks[0].retention.backward(Matrix(rows: 2, columns: 8), outputGradient: Matrix(rows: 2, columns: 8),
                                                   gradients: &wrong)
        }
    }
}
