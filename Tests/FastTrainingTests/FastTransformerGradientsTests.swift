import DecodingCosts
import FastTraining
import Foundation
import Matrices
import RetNetModel
import TestSupport
import Testing
import Transformer

/// A random Transformer in Float (norm weights and biases drawn too) shaped like `config`'s RetNet.
func floatTransformer(_ config: RetNetConfig, seed: UInt64) throws -> Transformer<Float> {
    let double = try Transformer<Double>.random(config: TransformerConfig(matching: config), seed: seed, normNoise: 0.2)
    return try Transformer<Float>.random(config: double.config, seed: seed)
        .with(named: double.named.map { ($0.name, $0.values.map(Float.init)) })
}

/// The reference: the Double model of the same (Float) weights, its loss and gradients for each
/// sequence, averaged.
func reference(_ model: Transformer<Float>, _ sequences: [[Int]]) throws
    -> (loss: Double, gradients: [(name: String, values: [Double])])
{
    let double = try Transformer<Double>.random(config: model.config, seed: 0)
        .with(named: model.named.map { ($0.name, $0.values.map(Double.init)) })
    var loss = 0.0
    var sums = double.named.map { ($0.name, [Double](repeating: 0, count: $0.values.count)) }
    for sequence in sequences {
        let (l, g) = try double.gradients(sequence)
        loss += l
        for (i, tensor) in g.named.enumerated() {
            for j in tensor.values.indices { sums[i].1[j] += tensor.values[j] }
        }
    }
    let count = Double(sequences.count)
    return (loss / count, sums.map { ($0.0, $0.1.map { $0 / count }) })
}

/// The bound of `gradientBound` (see there), with the Transformer's stages: per block a norm,
/// the projections, two softmax products and the softmax itself (exponentials within 2 ulp,
/// `VectorMath.exp`), the output projection and the FFN's three stages — as many stages as the
/// RetNet's block, so the same 10 per pass — and the longest sum K of B·T, F, 2E + V or T. The
/// T · u term of the RetNet's bound (γᵀ rounded) has no counterpart here but is kept: it
/// only loosens the bound by a few percent.
func transformerBound(_ model: Transformer<Float>, sequences: Int, length: Int) -> Double {
    let c = model.config
    let k = max(sequences * length, c.ffnEmbedDim, 2 * c.embedDim + c.valueEmbedDim, length)
    return (10 * Double(2 * c.layers + 2) * Double(k).squareRoot() + Double(length)) * 0x1p-24
}

@Suite("FastTransformerGradients equals the Transformer's reference backward pass")
struct FastTransformerGradientsParityTests {
    static let variants: [RetNetConfig.Variant] = [.paper, .torchscale]

    func compare(_ model: Transformer<Float>, _ sequences: [[Int]], threads: Int, form: AttentionForm = .naive,
                 label: String) throws {
        let (loss, gradients) = try FastTransformerGradients(threads: threads, form: form).lossAndGradients(model,
                                                                                                          sequences: sequences)
        let expected = try reference(model, sequences)
        let bound = transformerBound(model, sequences: sequences.count, length: sequences[0].count - 1)
        let got = gradients.named
        #expect(got.map(\.name) == expected.gradients.map(\.name), "\(label): one gradient per weight, same names")
        #expect(got.map(\.shape) == model.named.map(\.shape), "\(label): shapes")
        var worst = 0.0
        for (g, e) in zip(got, expected.gradients) {
            // With T = 1 a query has one key, its weight is 1 whatever the score, and the
            // gradients of W_Q and W_K are exactly 0 — in the reference and here (dS = P (dP − P dP) = 0).
            if e.values.allSatisfy({ $0 == 0 }) {
                #expect(g.values.allSatisfy { $0 == 0 }, "\(label) \(g.name): the reference is exactly 0")
                continue
            }
            let error = normwiseError(g.values, e.values)
            worst = max(worst, error)
            #expect(error <= bound, "\(label) \(g.name): ‖Δ‖/‖ref‖ = \(error) > \(bound)")
        }
        let lossError = abs(Double(loss) - expected.loss) / expected.loss
        #expect(lossError <= bound / 2, "\(label) loss \(loss) vs \(expected.loss): \(lossError) > \(bound / 2)")
        print("\(label): worst gradient error \(Format.scientific(worst, 2)), loss error \(Format.scientific(lossError, 2)), "
              + "bound \(Format.scientific(bound, 2))")
    }

    @Test("ragged models (no size a multiple of a tile), 1 thread", arguments: variants)
    func ragged(variant: RetNetConfig.Variant) throws {
        let model = try floatTransformer(raggedConfig(variant), seed: 3)
        try compare(model, batch(3, length: 11, vocabulary: 37, seed: 5), threads: 1, label: "ragged \(variant)")
    }

    /// T = 40 > 16 rows: a row's softmax spans several blocks of 16 exponentials.
    @Test("wide models (every threaded path splits), 2 threads", arguments: variants)
    func wide(variant: RetNetConfig.Variant) throws {
        let model = try floatTransformer(wideConfig(variant), seed: 4)
        try compare(model, batch(4, length: 41, vocabulary: 70, seed: 6), threads: 2, label: "wide \(variant)")
    }

    @Test("two-token sequences (T = 1), one sequence (B = 1), repeated tokens")
    func smallest() throws {
        let model = try floatTransformer(raggedConfig(.torchscale), seed: 8)
        try compare(model, batch(4, length: 2, vocabulary: 37, seed: 9), threads: 2, label: "T = 1")
        try compare(model, batch(1, length: 20, vocabulary: 37, seed: 10), threads: 2, label: "B = 1")
        try compare(model, [[5, 5, 5, 1, 5], [1, 5, 2, 5, 5]], threads: 1, label: "repeated")
    }
}

@Suite("FastTransformerGradients is reproducible bit for bit")
struct FastTransformerGradientsDeterminismTests {
    @Test("1, 2 and 3 threads give the same loss and gradients, bit for bit",
          arguments: [RetNetConfig.Variant.paper, .torchscale])
    func threadCounts(variant: RetNetConfig.Variant) throws {
        let model = try floatTransformer(wideConfig(variant), seed: 12)
        let sequences = batch(5, length: 41, vocabulary: 70, seed: 13)
        let one = try FastTransformerGradients(threads: 1).lossAndGradients(model, sequences: sequences)
        for threads in [2, 3] {
            let many = try FastTransformerGradients(threads: threads).lossAndGradients(model, sequences: sequences)
            #expect(many.loss.bitPattern == one.loss.bitPattern, "\(variant): loss on \(threads) threads")
            for (a, b) in zip(many.gradients.named, one.gradients.named) {
                let differing = zip(a.values, b.values).filter { $0.bitPattern != $1.bitPattern }.count
                #expect(differing == 0, "\(variant) \(a.name): \(differing) entries differ on \(threads) threads")
            }
        }
    }

    @Test("bad input: typed errors")
    func errors() throws {
        let model = try floatTransformer(raggedConfig(.torchscale), seed: 16)
        let fast = try FastTransformerGradients()
        #expect(throws: TransformerError.argument(name: "threads", expected: "a thread count ≥ 1", got: "0")) {
            try FastTransformerGradients(threads: 0)
        }
        #expect(throws: TransformerError.argument(name: "threads", expected: "a thread count ≤ 256", got: "257")) {
            try FastTransformerGradients(threads: 257)
        }
        #expect(throws: RetNetError.argument(name: "threads", expected: "a thread count ≤ 256", got: "257")) {
            try FastGradients(threads: 257)
        }
        #expect(throws: RetNetError.argument(name: "threads", expected: "a thread count ≥ 1", got: "-3")) {
            try FastGradients(threads: -3)
        }
        #expect(throws: TransformerError.argument(name: "sequences", expected: "at least one sequence", got: "none")) {
            try fast.lossAndGradients(model, sequences: [])
        }
        #expect(throws: TransformerError.token(position: 2, id: 37, vocabularySize: 37)) {
            try fast.lossAndGradients(model, sequences: [[1, 2, 37]])
        }
        #expect(throws: TransformerError.self) { try fast.lossAndGradients(model, sequences: [[1, 2, 3], [1, 2]]) }
    }
}
