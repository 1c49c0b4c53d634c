import FastTraining
import Matrices
import RetNetModel
import TestSupport
import Testing
import Transformer

/// The tiled softmax (FlashAttention) against the Transformer's Double reference, within
/// `transformerBound`: the same softmax and the same products, summed in another order (a row's
/// exponentials and its output over key blocks, each block's rescaled by e^{m−m′} ≤ 1, and dQ, dK,
/// dV over blocks), so no sum is longer than the naive form's and no stage is added but the
/// rescaling, one rounding per block that the bound's ten stages per pass cover.
@Suite("FastTransformerGradients with tiled attention equals the reference")
struct TiledAttentionParityTests {
    let parity = FastTransformerGradientsParityTests()

    @Test("ragged models, T = 10: blocks of 1, 3 (a short last block), 10 (one block), 64 (B > T)",
          arguments: [RetNetConfig.Variant.paper, .torchscale])
    func ragged(variant: RetNetConfig.Variant) throws {
        let model = try floatTransformer(raggedConfig(variant), seed: 50)
        let sequences = batch(2, length: 11, vocabulary: 37, seed: 51)
        for b in [1, 3, 10, 64] {
            try parity.compare(model, sequences, threads: 2, form: .tiled(blockSize: b), label: "ragged \(variant) B = \(b)")
        }
    }

    @Test("wide models, T = 70 in blocks of 16, 2 threads")
    func wide() throws {
        let model = try floatTransformer(wideConfig(.paper), seed: 52)
        try parity.compare(model, batch(2, length: 71, vocabulary: 70, seed: 53), threads: 2, form: .tiled(blockSize: 16),
                           label: "wide B = 16")
    }

    /// Each within `transformerBound` of the exact gradients, so within twice it of each other.
    @Test("tiled and naive agree on the same Float model within twice the bound")
    func againstNaive() throws {
        let model = try floatTransformer(wideConfig(.torchscale), seed: 54)
        let sequences = batch(2, length: 49, vocabulary: 70, seed: 55)
        let naive = try FastTransformerGradients(threads: 2).lossAndGradients(model, sequences: sequences)
        let tiled = try FastTransformerGradients(threads: 2, form: .tiled(blockSize: 8)).lossAndGradients(model, sequences: sequences)
        let bound = 2 * transformerBound(model, sequences: 2, length: 48)
        // Two computations, not one: the tiled sums run in another order, so some bits differ.
        #expect(tiled.gradients != naive.gradients, "the tiled form gave the naive form's bits: was it run?")
        #expect(abs(Double(naive.loss - tiled.loss)) / Double(naive.loss) <= bound / 2, "loss \(naive.loss) vs \(tiled.loss)")
        for (a, b) in zip(tiled.gradients.named, naive.gradients.named) {
            let error = normwiseError(a.values, b.values.map(Double.init))
            #expect(error <= bound, "\(a.name): tiled against naive ‖Δ‖/‖·‖ = \(error) > \(bound)")
        }
    }
}

@Suite("FastTransformerGradients with tiled attention: threads, memory, input")
struct TiledAttentionPropertyTests {
    @Test("1, 2 and 3 threads give the same loss and gradients, bit for bit")
    func threadCounts() throws {
        let model = try floatTransformer(wideConfig(.paper), seed: 56)
        let sequences = batch(3, length: 45, vocabulary: 70, seed: 57)
        let form = AttentionForm.tiled(blockSize: 16)
        let one = try FastTransformerGradients(threads: 1, form: form).lossAndGradients(model, sequences: sequences)
        for threads in [2, 3] {
            let many = try FastTransformerGradients(threads: threads, form: form).lossAndGradients(model, sequences: sequences)
            expectSameBits((many.loss, many.gradients.named.map { ($0.name, $0.values) }),
                           (one.loss, one.gradients.named.map { ($0.name, $0.values) }), "\(threads) threads")
        }
    }

    /// Per block the heads keep Q, K, V (R·(2E + V)) and per sequence and head O and L (T·(d_v + 1));
    /// a thread's scratch is two B×B blocks, dQ and dK of T rows, a B-row block pair and T + 2B terms.
    @Test("what the heads keep and the scratch grow as T, never T²")
    func memoryIsLinear() throws {
        let config = raggedConfig(.torchscale)  // E = 12, V = 18, h = 3, d_k = 4, d_v = 6
        let model = try floatTransformer(config, seed: 58)
        let b = 8
        for length in [16, 64, 256] {
            let fast = try FastTransformerGradients(threads: 1, form: .tiled(blockSize: b))
            _ = try fast.lossAndGradients(model, sequences: batch(2, length: length + 1, vocabulary: 37, seed: 59))
            let size = try #require(fast.lastWorkspace)
            let rows = 2 * length
            let expected = rows * (2 * 12 + 18) + 2 * 3 * length * (6 + 1)
            #expect(size.keptByHeads == [expected, expected], "T = \(length): kept \(size.keptByHeads), counted \(expected)")
            let counted = 2 * b * b + 2 * length * 4 + 6 + 2 * b * 6 + length + 2 * b
            #expect(size.headScratch == [counted], "T = \(length): scratch \(size.headScratch), counted \(counted)")
        }
    }

    @Test func blockSizeBelowOne() {
        for b in [0, -1] {
            #expect(throws: TransformerError.argument(name: "block size", expected: "at least 1", got: "\(b)")) {
                try FastTransformerGradients(form: .tiled(blockSize: b))
            }
        }
    }
}
