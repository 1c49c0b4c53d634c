import Layers
import Matrices
import MultiScaleRetention
import Retention
import RetNetModel
import TestSupport
import Testing

/// The backward passes of chapter 07 — a block and the whole model with its next-token loss (the
/// block norms' and FFNs' own are LayersTests') — against central differences of the forward passes, in Double; and the
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

    static func matrix(_ rows: Int, _ columns: Int, seed: UInt64) -> Matrix<Double> {
        var rng = SplitMix64(seed: seed)
        return .gaussian(rows: rows, columns: columns, using: &rng)
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
