import FastTraining
import Matrices
import MultiScaleRetention
import RetNetModel
import TestSupport
import Testing

/// The chunkwise form on the kernels against the Double reference's chunkwise backward
/// (`RetNet.gradients(_:form: .chunkwise)`, chapter 10), within `gradientBound`. The bound holds
/// unchanged: the chunkwise form's sums are no longer than the parallel form's (a chunk's products
/// sum over b ≤ T terms, the state over the T rows before it in a recursive sum, each step times
/// γ^b ≤ 1, so no error is amplified), its decays are powers up to γ^B ≤ γ^T, and it has as many
/// stages that round.
@Suite("FastGradients in the chunkwise form equals the reference chunkwise backward")
struct ChunkwiseGradientsParityTests {
    func compare(_ model: RetNet<Float>, _ sequences: [[Int]], chunkSize: Int, threads: Int, label: String) throws {
        let form = RetentionForm.chunkwise(chunkSize: chunkSize)
        let (loss, gradients) = try FastGradients(threads: threads, form: form).lossAndGradients(model, sequences: sequences)
        let expected = try reference(model, sequences, form: form)
        let bound = gradientBound(model.config, sequences: sequences.count, length: sequences[0].count - 1)
        let got = gradients.named
        #expect(got.map(\.name) == expected.gradients.map(\.name), "\(label): one gradient per weight, same names")
        for (g, e) in zip(got, expected.gradients) {
            let error = normwiseError(g.values, e.values)
            #expect(error <= bound, "\(label) \(g.name): ‖Δ‖/‖ref‖ = \(error) > \(bound)")
        }
        let lossError = abs(Double(loss) - expected.loss) / expected.loss
        #expect(lossError <= bound / 2, "\(label) loss \(loss) vs \(expected.loss): \(lossError) > \(bound / 2)")
    }

    @Test("ragged models, T = 13: B = 1 (the recurrent form), 4 (a short last chunk), 13 (one chunk), 40 (B > T)",
          arguments: [RetNetConfig.Variant.paper, .torchscale])
    func ragged(variant: RetNetConfig.Variant) throws {
        let model = try floatModel(raggedConfig(variant), seed: 30)
        let sequences = batch(2, length: 14, vocabulary: 37, seed: 31)
        for b in [1, 4, 13, 40] {
            try compare(model, sequences, chunkSize: b, threads: 2, label: "ragged \(variant) B = \(b)")
        }
    }

    @Test("wide models, T = 70 in chunks of 16 (five chunks, the last of 6), 2 threads")
    func wide() throws {
        let model = try floatModel(wideConfig(.torchscale), seed: 32)
        try compare(model, batch(2, length: 71, vocabulary: 70, seed: 33), chunkSize: 16, threads: 2, label: "wide B = 16")
    }

    @Test("the recurrent form asked for by name is the chunkwise form with B = 1, bit for bit")
    func recurrentIsChunkOfOne() throws {
        let model = try floatModel(raggedConfig(.paper), seed: 34)
        let sequences = batch(2, length: 9, vocabulary: 37, seed: 35)
        let recurrent = try FastGradients(threads: 1, form: .recurrent).lossAndGradients(model, sequences: sequences)
        let chunkOfOne = try FastGradients(threads: 1, form: .chunkwise(chunkSize: 1)).lossAndGradients(model, sequences: sequences)
        #expect(recurrent.loss.bitPattern == chunkOfOne.loss.bitPattern && recurrent.gradients == chunkOfOne.gradients)
    }
}

@Suite("FastGradients in the chunkwise form: threads, memory, length, input")
struct ChunkwiseGradientsPropertyTests {
    @Test("1, 2 and 3 threads give the same loss and gradients, bit for bit")
    func threadCounts() throws {
        let model = try floatModel(wideConfig(.paper), seed: 36)
        let sequences = batch(3, length: 50, vocabulary: 70, seed: 37)
        let form = RetentionForm.chunkwise(chunkSize: 8)
        let one = try FastGradients(threads: 1, form: form).lossAndGradients(model, sequences: sequences)
        for threads in [2, 3] {
            let many = try FastGradients(threads: threads, form: form).lossAndGradients(model, sequences: sequences)
            expectSameBits((many.loss, many.gradients.named.map { ($0.name, $0.values) }),
                           (one.loss, one.gradients.named.map { ($0.name, $0.values) }), "\(threads) threads")
        }
    }

    /// Per block, the heads keep Q, K, V (R·(2E + V) floats) and ⌈T/B⌉ states of d_k×d_v per
    /// sequence and head; a thread's scratch is two B×B matrices and blocks of B rows, whatever T.
    @Test("what the heads keep grows as T (Q, K, V and ⌈T/B⌉ states), the scratch not at all")
    func memoryIsLinear() throws {
        let config = raggedConfig(.torchscale)  // E = 12, V = 18, h = 3, d_k = 4, d_v = 6
        let model = try floatModel(config, seed: 38)
        let b = 8
        var scratch: [Int] = []
        for length in [16, 64, 256] {
            let fast = try FastGradients(threads: 2, form: .chunkwise(chunkSize: b))
            _ = try fast.lossAndGradients(model, sequences: batch(2, length: length + 1, vocabulary: 37, seed: 39))
            let size = try #require(fast.lastWorkspace)
            let rows = 2 * length, chunks = (length + b - 1) / b
            let expected = rows * (2 * 12 + 18) + 2 * 3 * chunks * 4 * 6
            #expect(size.keptByHeads == [expected, expected], "T = \(length): kept \(size.keptByHeads), counted \(expected)")
            // 2B² + 2B·d_k + T·d_v (dO of the gate) + d_v + 2B·max(d_k, d_v) + d_k·d_v.
            let counted = 2 * b * b + 2 * b * 4 + length * 6 + 6 + 2 * b * 6 + 4 * 6
            #expect(size.headScratch == [counted, counted], "T = \(length): scratch \(size.headScratch), counted \(counted)")
            scratch.append(size.headScratch[0] - length * 6)
        }
        #expect(Set(scratch).count == 1, "the scratch beyond dO does not grow with T: \(scratch)")
    }

    /// Each chunk size is within `gradientBound` of the exact gradients, so the two are within twice it.
    @Test("finite at T = 65,536 in Float, and two chunk sizes agree within twice the bound")
    func longSequence() throws {
        let config = RetNetConfig(variant: .torchscale, embedDim: 8, valueEmbedDim: 8, retentionHeads: 2, ffnEmbedDim: 16,
                                  layers: 1, vocabSize: 37, layernormEps: 1e-6, activationFn: .swish, noScaleEmbedding: true)
        let model = try floatModel(config, seed: 40)
        let sequences = batch(1, length: 65_537, vocabulary: 37, seed: 41)
        let a = try FastGradients(threads: 2, form: .chunkwise(chunkSize: 512)).lossAndGradients(model, sequences: sequences)
        let b = try FastGradients(threads: 2, form: .chunkwise(chunkSize: 128)).lossAndGradients(model, sequences: sequences)
        #expect(a.loss.isFinite && a.gradients.named.allSatisfy { $0.values.allSatisfy(\.isFinite) })
        let bound = gradientBound(config, sequences: 1, length: 65_536)
        for (x, y) in zip(a.gradients.named, b.gradients.named) {
            let error = normwiseError(x.values, y.values.map(Double.init))
            #expect(error <= 2 * bound, "\(x.name): B = 512 against B = 128, ‖Δ‖/‖·‖ = \(error) > \(2 * bound)")
        }
    }

    @Test func chunkSizeBelowOne() {
        for b in [0, -3] {
            #expect(throws: RetNetError.argument(name: "chunk size", expected: "at least 1", got: "\(b)")) {
                try FastGradients(form: .chunkwise(chunkSize: b))
            }
        }
    }
}
