import DecodingCosts
import FastTransformer
import Layers
import Matrices
import RetNetModel
import Testing
import Training
import Transformer

/// `Transformer.generate(prompt:count:context:sampler:)`: nanoGPT's sliding window.
@Suite struct TransformerGenerationTests {
    static func model() throws -> Transformer<Double> {
        try Transformer<Double>.random(config: TransformerConfig(matching: TinyModel.config()), seed: 11, normNoise: 0.1)
    }

    /// nanoGPT's loop as it is written: every new token from a forward pass over the last
    /// `context` tokens of the text so far.
    static func nanoGPT(_ model: Transformer<Double>, prompt: [Int], count: Int, context: Int, sampler: Sampler) throws
        -> (tokens: [Int], logits: [Matrix<Double>])
    {
        var generator = SplitMix64(seed: { if case .temperature(_, let seed) = sampler { seed } else { 0 } }())
        var text = prompt, tokens: [Int] = [], rows: [Matrix<Double>] = []
        for _ in 0..<count {
            let logits = try model.forward(Array(text.suffix(context)))
            let last = logits.row(logits.rows - 1)
            let next = switch sampler {
            case .greedy: Sampler.argmax(last)
            case .temperature(let t, _): Sampler.draw(last, temperature: t, using: &generator)
            }
            (rows, tokens, text) = (rows + [last], tokens + [next], text + [next])
        }
        return (tokens, rows)
    }

    /// The largest difference between two lists of logit rows.
    static func distance(_ a: [Matrix<Double>], _ b: [Matrix<Double>]) -> Double {
        zip(a, b).map { zip($0.storage, $1.storage).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
    }

    /// Within the window the KV cache gives the forward pass's logits up to Double rounding
    /// (1e-12: logits of size ~1 summed over 8-wide rows); past it the window is read again,
    /// so the tokens and logits are nanoGPT's, for a prompt shorter and longer than the window.
    @Test(arguments: [(prompt: [3, 1, 4], sampler: Sampler.greedy), (prompt: [3, 1, 4, 1, 5, 9, 2, 6, 5], sampler: .greedy),
                      (prompt: [3, 1, 4], sampler: .temperature(0.9, seed: 5))])
    func theSlidingWindowIsNanoGPTs(prompt: [Int], sampler: Sampler) throws {
        let model = try Self.model()
        let got = try model.generate(prompt: prompt, count: 12, context: 5, sampler: sampler)
        let expected = try Self.nanoGPT(model, prompt: prompt, count: 12, context: 5, sampler: sampler)
        #expect(got.tokens == expected.tokens)
        #expect(got.logits.count == 12)
        #expect(Self.distance(got.logits, expected.logits) <= 1e-12, "\(Self.distance(got.logits, expected.logits))")
        // The window matters: a model that read the whole text would predict otherwise past it.
        let unlimited = try Self.nanoGPT(model, prompt: prompt, count: 12, context: 1_000, sampler: sampler)
        #expect(Self.distance(Array(got.logits.suffix(4)), Array(unlimited.logits.suffix(4))) > 1e-3)
    }

    /// The kernels' sliding window (`FastTransformer.generate`) chooses the reference's tokens
    /// from the reference's logits up to Float rounding, within the window and past it, for a
    /// Float model wide enough for whole SIMD rows (E = 32, two layers). Bound 1e-4: logits of
    /// size ≲ 10 after two blocks whose sums the kernels order differently (blocked GEMM, SIMD
    /// softmax); the largest gap seen is 1.4e-6.
    @Test(arguments: [(prompt: [3, 1, 4], sampler: Sampler.greedy), (prompt: [3, 1, 4, 1, 5, 9, 2, 6, 5], sampler: .greedy),
                      (prompt: [3, 1, 4], sampler: .temperature(0.9, seed: 5))])
    func theKernelsGenerateAsTheReference(prompt: [Int], sampler: Sampler) throws {
        let config = RetNetConfig(variant: .torchscale, embedDim: 32, valueEmbedDim: 32, retentionHeads: 2, ffnEmbedDim: 64,
                                  layers: 2, vocabSize: 65)
        let model = try Transformer<Float>.random(config: TransformerConfig(matching: config), seed: 12, normNoise: 0.1)
        let expected = try model.generate(prompt: prompt, count: 14, context: 6, sampler: sampler)
        let got = try FastTransformer(model).generate(prompt: prompt, count: 14, context: 6, sampler: sampler)
        #expect(got.tokens == expected.tokens)
        #expect(got.logits.count == 14)
        let gap = zip(got.logits, expected.logits).map { zip($0.storage, $1.storage).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
        #expect(gap <= 1e-4, "largest logit gap \(gap)")
        #expect(throws: TransformerError.self) { try FastTransformer(model).generate(prompt: [], count: 1, context: 6) }
        #expect(throws: TransformerError.self) { try FastTransformer(model).generate(prompt: [1, 65], count: 1, context: 6) }
    }

    @Test func badArgumentsAreTypedErrors() throws {
        let model = try Self.model()
        let cases: [(prompt: [Int], count: Int, context: Int, sampler: Sampler, name: String)] = [
            ([], 3, 4, .greedy, "prompt"), ([1], -1, 4, .greedy, "count"), ([1], 3, 0, .greedy, "context"),
            ([1], 3, 4, .temperature(0, seed: 1), "temperature"), ([1], 3, 4, .temperature(.nan, seed: 1), "temperature"),
        ]
        for c in cases {
            do {
                _ = try model.generate(prompt: c.prompt, count: c.count, context: c.context, sampler: c.sampler)
                Issue.record("\(c.name): no error")
            } catch {
                guard case .argument(let name, _, _) = error else { throw error }
                #expect(name == c.name)
            }
        }
        #expect(throws: TransformerError.self) { try model.generate(prompt: [1, 65], count: 1, context: 4) }
        #expect(try model.generate(prompt: [1], count: 0, context: 4).tokens.isEmpty)
    }
}
