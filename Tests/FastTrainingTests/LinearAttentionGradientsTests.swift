import DecodingCosts
import FastTraining
import FastTransformer
import Matrices
import RetNetModel
import TestSupport
import Testing
import Transformer

/// The third mixer, linear attention, through the same fast driver as the other two: its loss
/// and gradients against the reference Transformer's backward pass (Double, finite-difference
/// checked in TransformerTests), within the same bound as softmax attention's — the stages are
/// the same but for the softmax, whose exponentials only loosen the bound.
@Suite("FastTransformerGradients with linear attention equals the reference")
struct LinearAttentionGradientsTests {
    func linearModel(_ config: RetNetConfig, seed: UInt64) throws -> Transformer<Float> {
        var shape = TransformerConfig(matching: config)
        shape.attention = .linear
        let double = try Transformer<Double>.random(config: shape, seed: seed, normNoise: 0.2)
        return try Transformer<Float>.random(config: shape, seed: seed).with(named: double.named.map { ($0.name, $0.values.map(Float.init)) })
    }

    @Test("ragged and wide models, short and long sequences, 1 and 2 threads",
          arguments: [(RetNetConfig.Variant.paper, 1), (.torchscale, 2)])
    func parity(variant: RetNetConfig.Variant, threads: Int) throws {
        for (config, length) in [(raggedConfig(variant), 7), (wideConfig(variant), 48)] {
            let model = try linearModel(config, seed: 41)
            let sequences = batch(3, length: length, vocabulary: config.vocabSize, seed: 43)
            let (loss, gradients) = try FastTransformerGradients(threads: threads).lossAndGradients(model, sequences: sequences)
            let expected = try reference(model, sequences)
            let bound = transformerBound(model, sequences: sequences.count, length: length - 1)
            let label = "\(variant), E = \(config.embedDim), T = \(length - 1), \(threads) thread(s)"
            #expect(abs(Double(loss) - expected.loss) <= bound * abs(expected.loss), "\(label): loss \(loss) vs \(expected.loss)")
            for (g, e) in zip(gradients.named, expected.gradients) {
                let error = normwiseError(g.values, e.values)
                #expect(error <= bound, "\(label): \(g.name) \(error) > \(bound)")
            }
            // The same bits on another thread count, and from `loss` alone.
            let (again, _) = try FastTransformerGradients(threads: 3 - threads).lossAndGradients(model, sequences: sequences)
            #expect(again.bitPattern == loss.bitPattern, "\(label): loss on \(3 - threads) thread(s)")
            #expect(try FastTransformerGradients(threads: threads).loss(model, sequences: sequences).bitPattern == loss.bitPattern)
        }
    }

    @Test("the linear model's gradients are not the softmax model's (the map is applied)")
    func differsFromSoftmax() throws {
        let config = raggedConfig(.torchscale)
        let linear = try linearModel(config, seed: 41)
        var shape = linear.config
        shape.attention = .softmax
        let softmax = try Transformer<Float>.random(config: shape, seed: 0).with(named: linear.named.map { ($0.name, $0.values) })
        let sequences = batch(2, length: 9, vocabulary: config.vocabSize, seed: 5)
        let a = try FastTransformerGradients().lossAndGradients(linear, sequences: sequences).loss
        let b = try FastTransformerGradients().lossAndGradients(softmax, sequences: sequences).loss
        #expect(abs(a - b) > 1e-3, "linear \(a) vs softmax \(b)")
    }

    @Test("FastTransformer's KV-cache decoding refuses a linear-attention model by name")
    func decodingRefusesIt() throws {
        let model = try linearModel(raggedConfig(.paper), seed: 1)
        #expect(throws: TransformerError.self) { try FastTransformer(model) }
        do {
            _ = try FastTransformer(model, threads: 2)
            Issue.record("accepted")
        } catch {
            #expect("\(error)".contains("attention"), "\(error)")
        }
    }
}
