import DecodingCosts
import Layers
import Matrices
import RetNetModel
import TestSupport
import Testing
import Transformer

/// The Transformer's explicit backward pass against central differences of its loss, in Double,
/// every entry of every weight of a two-layer model of each variant.
///
/// Step and tolerance as for the RetNet's (`FiniteDifferences`): h = 1e-5 makes truncation
/// (h²/6 · |f‴|) and rounding (δf/h, δf ≈ 1e-16 · 3 · 10³ for a loss summed over ~10³ rounded
/// operations) each ~1e-10 for these O(1) weights, so a correct gradient meets its difference
/// quotients to ~1e-9 relative per tensor (measured worst: 5.0e-9, printed below). 1e-6 leaves a factor
/// of 10² or more over that, while a missing residual, a softmax Jacobian without its row term, an
/// unrotated key gradient or an embedding row counted once for a repeated token is off by 1e-2
/// to 1. Both scorings: softmax attention and linear attention (`AttentionScoring.linear`).
@Suite("Gradients of the Transformer = finite differences (Double)")
struct TransformerGradientTests {
    static let tolerance = 1e-6
    static let variants: [RetNetConfig.Variant] = [.paper, .torchscale]

    /// ε = 1e-2 so that the norms' ε terms are exercised.
    static func model(_ variant: RetNetConfig.Variant, _ scoring: AttentionScoring = .softmax) throws -> Transformer<Double> {
        var config = TransformerConfig(matching: tinyConfig(variant))
        config.layernormEps = 1e-2
        config.attention = scoring
        return try Transformer<Double>.random(config: config, seed: 3, normNoise: 0.2)
    }

    @Test("attention layer: dX = central differences", arguments: variants, AttentionScoring.allCases)
    func attention(variant: RetNetConfig.Variant, scoring: AttentionScoring) throws {
        let attention = try Self.model(variant, scoring).blocks[0].attention
        var rng = SplitMix64(seed: 8)
        let x = Matrix<Double>.gaussian(rows: 6, columns: 8, using: &rng), w = Matrix<Double>.gaussian(rows: 6, columns: 8, using: &rng)
        var gradients = AttentionGradients(zeroFor: attention)
        let dX = try attention.backward(x, outputGradient: w, gradients: &gradients)
        expectClose(dX, try FiniteDifferences.gradient(of: x) { weightedSum(try attention($0).output, w) },
                    relative: Self.tolerance, "\(variant), \(scoring): attention dX")
    }

    @Test("block: dX = central differences", arguments: variants, AttentionScoring.allCases)
    func block(variant: RetNetConfig.Variant, scoring: AttentionScoring) throws {
        let block = try Self.model(variant, scoring).blocks[1]
        var rng = SplitMix64(seed: 9)
        let x = Matrix<Double>.gaussian(rows: 6, columns: 8, using: &rng), w = Matrix<Double>.gaussian(rows: 6, columns: 8, using: &rng)
        var gradients = TransformerBlockGradients(zeroFor: block)
        let dX = try block.backward(x, outputGradient: w, gradients: &gradients)
        expectClose(dX, try FiniteDifferences.gradient(of: x) { weightedSum(try block($0).output, w) },
                    relative: Self.tolerance, "\(variant), \(scoring): block dX")
    }

    /// A sequence in which tokens repeat, so that an embedding row collects several rows' gradients.
    @Test("whole model: every weight's gradient = central differences", arguments: variants, AttentionScoring.allCases)
    func wholeModel(variant: RetNetConfig.Variant, scoring: AttentionScoring) throws {
        let model = try Self.model(variant, scoring)
        let input = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]
        let (loss, gradients) = try model.gradients(input)
        // The same forward code on the same input: the same bits.
        #expect(loss == NextTokenLoss.evaluate(logits: try model.forward(input), tokens: input).loss,
                "the loss of gradients(_:) is NextTokenLoss of forward's logits")
        #expect(loss == (try model.loss(input)))
        let named = gradients.named, weights = model.named
        #expect(named.map(\.name) == weights.map(\.name), "one gradient per weight, in the same order")
        #expect(named.map(\.shape) == weights.map(\.shape), "each gradient shaped as its weight")
        #expect(named.count == (variant == .torchscale ? 2 + 2 * 9 + 1 : 2 + 2 * 10 + 2))
        var worst = (0.0, "none")
        for (entry, weight) in zip(named, weights) {
            let expected = try FiniteDifferences.gradient(of: weight.values) {
                try model.with(named: [(entry.name, $0)]).loss(input)
            }
            let m = expectClose(asMatrix(entry.values, entry.shape), asMatrix(expected, entry.shape), relative: Self.tolerance,
                                "\(variant), \(scoring): \(entry.name)")
            if m.error > worst.0 { worst = (m.error, entry.name) }
        }
        print("Transformer gradients, \(variant), \(scoring): \(named.count) tensors, loss \(loss), worst relative error "
              + "\(Format.scientific(worst.0, 2)) (\(worst.1))")
    }

    @Test("named weights: with(named:) puts back what named reads, and moves only what it names")
    func namedRoundTrip() throws {
        let model = try Self.model(.torchscale)
        let same = try model.with(named: model.named.map { ($0.name, $0.values) })
        #expect(same == model)
        let name = "layers.1.attention.k_proj.weight"
        let moved = try model.with(named: [(name, [Double](repeating: 0.5, count: 64))])
        for (a, b) in zip(moved.named, model.named) {
            #expect((a.values == b.values) == (a.name != name), "\(a.name)")
        }
        #expect(moved.blocks[1].attention.kProj == Matrix(rows: 8, columns: 8, repeating: 0.5))
    }

    @Test("bad input: typed errors")
    func errors() throws {
        let model = try Self.model(.torchscale)
        #expect(throws: TransformerError.argument(name: "tokens", expected: "at least 2 tokens (the loss predicts each next token)",
                                                  got: "1")) { try model.gradients([3]) }
        #expect(throws: TransformerError.token(position: 1, id: tinyVocabulary, vocabularySize: tinyVocabulary)) {
            try model.gradients([3, tinyVocabulary])
        }
        #expect(throws: TransformerError.argument(name: "weights", expected: "the model's weight names", got: "'nope'")) {
            try model.with(named: [("nope", [1])])
        }
        #expect(throws: TransformerError.weight(field: "layer_norm.weight", expected: "8 values ([8])", got: "3")) {
            try model.with(named: [("layer_norm.weight", [1, 2, 3])])
        }
        var wrong = TransformerBlockGradients(zeroFor: model.blocks[0])
        #expect(throws: TransformerError.self) {
            try model.blocks[0].backward(Matrix(rows: 2, columns: 8), outputGradient: Matrix(rows: 3, columns: 8),
                                         gradients: &wrong)
        }
        wrong.attention.qProj = Matrix(rows: 1, columns: 1)
        #expect(throws: TransformerError.self) {
            try model.blocks[0].attention.backward(Matrix(rows: 2, columns: 8), outputGradient: Matrix(rows: 2, columns: 8),
                                                   gradients: &wrong.attention)
        }
    }
}

/// A named tensor's values as a matrix (a vector as one row), for `expectClose`.
func asMatrix(_ values: [Double], _ shape: [Int]) -> Matrix<Double> {
    Matrix(rows: shape.count == 2 ? shape[0] : 1, columns: shape.last ?? 0, entries: values)
}
