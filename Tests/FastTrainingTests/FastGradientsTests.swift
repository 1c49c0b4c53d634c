import FastTraining
import Foundation
import Matrices
import RetNetModel
import TestSupport
import Testing

/// The bound on each tensor's norm-wise relative error, ‖g − g_ref‖₂ / ‖g_ref‖₂, against the
/// Double reference of the same Float weights:
///
///     (10 · (2L + 2) · √K + T) · u,    u = 2⁻²⁴ (Float's unit roundoff)
///
/// - K is the longest sum any stage takes: B·T (a weight gradient sums over every row of the
///   batch), F, 2E + 2V (the projections' input gradient) or T. Rounding errors of a sum of K
///   terms behave as a random walk, √K · u (Higham and Mary, "A new approach to probabilistic
///   rounding error analysis", 2019), and the norm-wise error of a product averages them.
/// - A gradient of the first block's weights has passed through every block forward and back,
///   and through the embedding and the output projection: 2L + 2 passes, each about ten stages
///   that round (a norm, the projections, two retention products, the head norm and gate, the
///   output projection, the FFN's three stages), whose errors add.
/// - T · u: the decay γ itself is rounded to Float (the Double reference keeps γ in Double),
///   and γᵀ carries T times its relative error into D.
///
/// The derivation assumes norms and cancellations that amplify by small factors, as they do for
/// random models; measured errors sit 10–30 times below the bound, and a wrong term, sign, head,
/// position or scale is off by 1e-2 or more, orders of magnitude above it.
func gradientBound(_ config: RetNetConfig, sequences: Int, length: Int) -> Double {
    let k = max(sequences * length, config.ffnEmbedDim, 2 * config.embedDim + 2 * config.valueEmbedDim, length)
    return (10 * Double(2 * config.layers + 2) * Double(k).squareRoot() + Double(length)) * 0x1p-24
}

@Suite("FastGradients equals the reference backward pass")
struct FastGradientsParityTests {
    static let variants: [RetNetConfig.Variant] = [.paper, .torchscale]

    /// Compares loss and every gradient with the Double reference averaged over the sequences.
    func compare(_ model: RetNet<Float>, _ sequences: [[Int]], threads: Int, label: String) throws {
        let (loss, gradients) = try FastGradients(threads: threads).lossAndGradients(model, sequences: sequences)
        let expected = try reference(model, sequences)
        let bound = gradientBound(model.config, sequences: sequences.count, length: sequences[0].count - 1)
        let got = gradients.named
        #expect(got.map(\.name) == expected.gradients.map(\.name), "\(label): one gradient per weight, same names")
        #expect(got.map(\.shape) == RetNetGradients(zeroFor: model).named.map(\.shape), "\(label): shapes")
        for (g, e) in zip(got, expected.gradients) {
            let error = normwiseError(g.values, e.values)
            #expect(error <= bound, "\(label) \(g.name): ‖Δ‖/‖ref‖ = \(error) > \(bound)")
        }
        // The loss is a forward pass only: half the passes of the bound.
        let lossError = abs(Double(loss) - expected.loss) / expected.loss
        #expect(lossError <= bound / 2, "\(label) loss \(loss) vs \(expected.loss): \(lossError) > \(bound / 2)")
    }

    @Test("ragged models (no size a multiple of a tile), 1 thread", arguments: variants)
    func ragged(variant: RetNetConfig.Variant) throws {
        let model = try floatModel(raggedConfig(variant), seed: 3)
        try compare(model, batch(3, length: 11, vocabulary: 37, seed: 5), threads: 1, label: "ragged \(variant)")
    }

    @Test("wide models (every threaded path splits), 2 threads", arguments: variants)
    func wide(variant: RetNetConfig.Variant) throws {
        let model = try floatModel(wideConfig(variant), seed: 4)
        try compare(model, batch(4, length: 33, vocabulary: 70, seed: 6), threads: 2, label: "wide \(variant)")
    }

    @Test("two-token sequences (T = 1) and one sequence (B = 1)")
    func smallest() throws {
        let model = try floatModel(raggedConfig(.torchscale), seed: 8)
        try compare(model, batch(4, length: 2, vocabulary: 37, seed: 9), threads: 2, label: "T = 1")
        try compare(model, batch(1, length: 20, vocabulary: 37, seed: 10), threads: 2, label: "B = 1")
    }

    @Test("short sequences keep their decay-masked scores, longer ones compute them again: both within the bound")
    func keptAndRecomputedScores() throws {
        let model = try floatModel(raggedConfig(.paper), seed: 20)  // d_k + d_v = 4 + 6 = 10
        try compare(model, batch(2, length: 11, vocabulary: 37, seed: 21), threads: 2, label: "T = 10, scores kept")
        try compare(model, batch(2, length: 16, vocabulary: 37, seed: 22), threads: 2, label: "T = 15, scores computed again")
    }

    @Test("a token repeated across sequences adds into one embedding row")
    func repeatedTokens() throws {
        let model = try floatModel(raggedConfig(.torchscale), seed: 11)
        try compare(model, [[5, 5, 5, 1, 5], [1, 5, 2, 5, 5]], threads: 1, label: "repeated")
    }
}

@Suite("FastGradients is reproducible bit for bit")
struct FastGradientsDeterminismTests {
    @Test("1, 2 and 3 threads give the same loss and gradients, bit for bit",
          arguments: [RetNetConfig.Variant.paper, .torchscale])
    func threadCounts(variant: RetNetConfig.Variant) throws {
        let model = try floatModel(wideConfig(variant), seed: 12)
        let sequences = batch(5, length: 41, vocabulary: 70, seed: 13)
        let one = try FastGradients(threads: 1).lossAndGradients(model, sequences: sequences)
        for threads in [2, 3] {
            let many = try FastGradients(threads: threads).lossAndGradients(model, sequences: sequences)
            #expect(many.loss.bitPattern == one.loss.bitPattern, "\(variant): loss on \(threads) threads")
            for (a, b) in zip(many.gradients.named, one.gradients.named) {
                let differing = zip(a.values, b.values).filter { $0.bitPattern != $1.bitPattern }.count
                #expect(differing == 0, "\(variant) \(a.name): \(differing) entries differ on \(threads) threads")
            }
        }
    }

    @Test("the same call again gives the same bits, with or without the kept buffers")
    func repeatable() throws {
        let model = try floatModel(raggedConfig(.paper), seed: 14)
        let sequences = batch(2, length: 9, vocabulary: 37, seed: 15)
        let fast = try FastGradients(threads: 2)
        let first = try fast.lossAndGradients(model, sequences: sequences)
        let second = try fast.lossAndGradients(model, sequences: sequences)
        #expect(first.loss.bitPattern == second.loss.bitPattern)
        #expect(first.gradients == second.gradients)
        // A call of another shape in between (its own buffers), then the first shape again
        // (the kept buffers, whatever the last call left in them).
        let otherBatch = batch(3, length: 5, vocabulary: 37, seed: 16)
        let other = try fast.lossAndGradients(model, sequences: otherBatch)
        let otherFresh = try FastGradients(threads: 1).lossAndGradients(model, sequences: otherBatch)
        #expect(other.loss.bitPattern == otherFresh.loss.bitPattern && other.gradients == otherFresh.gradients)
        let third = try fast.lossAndGradients(model, sequences: sequences)
        let fourth = try fast.lossAndGradients(model, sequences: sequences)
        #expect(third.loss.bitPattern == first.loss.bitPattern && fourth.loss.bitPattern == first.loss.bitPattern)
        #expect(third.gradients == first.gradients && fourth.gradients == first.gradients)
    }

    @Test("kept buffers take the next model's weights: a second model gives its own gradients")
    func anotherModelSameShape() throws {
        let (a, b) = (try floatModel(wideConfig(.torchscale), seed: 17), try floatModel(wideConfig(.torchscale), seed: 18))
        let sequences = batch(3, length: 17, vocabulary: 70, seed: 19)
        let fast = try FastGradients(threads: 2)
        _ = try fast.lossAndGradients(a, sequences: sequences)
        let reused = try fast.lossAndGradients(b, sequences: sequences)
        let fresh = try FastGradients(threads: 2).lossAndGradients(b, sequences: sequences)
        #expect(reused.loss.bitPattern == fresh.loss.bitPattern)
        #expect(reused.gradients == fresh.gradients)
    }
}

@Suite("FastGradients rejects bad input with typed errors")
struct FastGradientsInputTests {
    let model: RetNet<Float>
    let fast: FastGradients

    init() throws {
        model = try floatModel(raggedConfig(.torchscale), seed: 16)
        fast = try FastGradients()
    }

    func expectError(_ sequences: [[Int]], _ expected: (RetNetError) -> Bool, _ label: String) {
        do {
            _ = try fast.lossAndGradients(model, sequences: sequences)
            Issue.record("\(label): no error")
        } catch {
            #expect(expected(error), "\(label): \(error)")
        }
    }

    @Test func threadsBelowOne() {
        for threads in [0, -2] {
            #expect(throws: RetNetError.self) { try FastGradients(threads: threads) }
        }
    }

    @Test func emptyBatch() {
        expectError([], { if case .argument(name: "sequences", _, _) = $0 { true } else { false } }, "no sequences")
    }

    @Test func fewerThanTwoTokens() {
        for short in [[Int](), [3]] {
            expectError([short, short], { if case .argument(name: "sequences[0]", _, got: "\(short.count)") = $0 { true } else { false } },
                        "\(short.count) tokens")
        }
    }

    @Test func differentLengths() {
        expectError([[1, 2, 3], [1, 2, 3], [1, 2]],
                    { if case .argument(name: "sequences[2]", _, got: "2") = $0 { true } else { false } }, "ragged batch")
    }

    @Test func tokensOutsideTheVocabulary() {
        expectError([[1, 2, 3], [1, 37, 3]], { $0 == .token(position: 1, id: 37, vocabularySize: 37) }, "id = vocab")
        expectError([[-1, 2, 3]], { $0 == .token(position: 0, id: -1, vocabularySize: 37) }, "negative id")
        // The last token is only a target, and is checked too.
        expectError([[1, 2, 99]], { $0 == .token(position: 2, id: 99, vocabularySize: 37) }, "a bad target")
    }
}
