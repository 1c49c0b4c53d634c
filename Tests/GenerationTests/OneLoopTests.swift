import FastRetNet
import FastTransformer
import Generation
import Layers
import Matrices
import MultiScaleRetention
import RetNetModel
import TestSupport
import Testing
import TorchscaleCheckpoint
import Transformer

/// Each of the four models through the one loop: the tokens and logits of the model's own
/// prefill and step written out by hand (bit for bit: the loop keeps each model's arithmetic),
/// and the tokens of nanoGPT's loop, which reads the whole text again for every new token (the
/// logits up to rounding).
@Suite struct OneLoopTests {
    static let prompt = tokens(5, vocabulary: 11, seed: 5)

    /// Greedy tokens are the parallel form's argmax over everything before them, the decoded
    /// logits its rows (1e-10 relative: Double, the chunkwise and recurrent forms against the
    /// parallel one), and the state holds the prompt and the first count − 1 new tokens.
    @Test func theRetNetsGreedyTokensAreTheParallelArgmax() throws {
        let model = try tinyRetNet()
        let greedy = try model.generate(prompt: Self.prompt, count: 9, prefill: .chunkwise(chunkSize: 2))
        let full = try model.logits(Self.prompt + greedy.tokens.dropLast())
        #expect((0..<9).map { Sampler.argmax(full, row: 4 + $0) } == greedy.tokens)
        expectClose(greedy.logits, full.rowRange(4..<full.rows), relative: 1e-10, "decoded logits vs parallel rows")
        #expect(greedy.cache.position == 5 + 8)
        #expect(greedy.tokens.allSatisfy { (0..<11).contains($0) })
    }

    /// The reference RetNet, in each prefill form (chunkwise with recurrent_chunk_size 3 by default).
    @Test(arguments: samplers) func theRetNet(sampler: Sampler) throws {
        let model = try tinyRetNet()
        for form in [RetentionForm?.none, .parallel, .recurrent, .chunkwise(chunkSize: 2)] {
            let got = try model.generate(prompt: Self.prompt, count: 12, sampler: sampler, prefill: form)
            let prefillForm = form ?? .chunkwise(chunkSize: 3)
            let own = try prefillThenStep(Self.prompt, count: 12, sampler: sampler, prefill: { tokens in
                let (logits, state) = try model.prefill(tokens, form: prefillForm)
                return (logits.row(logits.rows - 1), state)
            }, step: { token, state in
                let stepped = try model.step(token, state: state)
                state = stepped.state
                return stepped.logits
            })
            #expect(got.tokens == own.tokens, "\(prefillForm)")
            #expect(got.logits == own.logits, "\(prefillForm): logits differ from the model's own prefill and step")
            let reread = try rereading(Self.prompt, count: 12, sampler: sampler) { try model.logits($0) }
            #expect(got.tokens == reread.tokens, "\(prefillForm)")
            expectClose(got.logits, reread.logits, relative: 1e-10, "\(prefillForm): logits vs the parallel form's")
        }
    }

    /// The RetNet on the kernels: its forward pass, then `FastRetNet.step` (the decoder's numbers,
    /// bit for bit). Against the parallel form read again: the same tokens, the logits within 1e-4
    /// (logits of size ≲ 10 after two blocks whose sums the kernels order differently in the
    /// chunkwise, recurrent and parallel forms).
    @Test(arguments: samplers) func theRetNetOnTheKernels(sampler: Sampler) throws {
        let (reference, fast) = try floatRetNets()
        for form in [RetentionForm?.none, .parallel, .chunkwise(chunkSize: 3)] {
            let got = try fast.generate(prompt: Self.prompt, count: 14, sampler: sampler, prefill: form)
            let prefillForm = form ?? .chunkwise(chunkSize: 4)
            let own = try prefillThenStep(Self.prompt, count: 14, sampler: sampler, prefill: { tokens in
                let (logits, state) = try fast.forward(tokens, form: prefillForm)
                return (logits.row(logits.rows - 1), state)
            }, step: { token, state in
                Matrix(rows: 1, columns: 65, entries: try fast.step(token, state: &state))
            })
            #expect(got.tokens == own.tokens, "\(prefillForm)")
            #expect(got.logits == own.logits, "\(prefillForm): logits differ from the model's own forward and step")
            #expect(got.cache.state.position == 5 + 13)
            let reread = try rereading(Self.prompt, count: 14, sampler: sampler) { try fast.forward($0).logits }
            #expect(got.tokens == reread.tokens, "\(prefillForm)")
            #expect(gap(got.logits, reread.logits) <= 1e-4, "\(prefillForm): largest logit gap \(gap(got.logits, reread.logits))")
            let expected = try reference.generate(prompt: Self.prompt, count: 14, sampler: sampler, prefill: form)
            #expect(got.tokens == expected.tokens, "\(prefillForm): the reference chose otherwise")
        }
    }

    /// The reference Transformer: its prefill, then its KV-cache step. Against the forward pass
    /// read again, 1e-12 (Double; logits of size ~1 summed over 8-wide rows).
    @Test(arguments: samplers) func theTransformer(sampler: Sampler) throws {
        let model = try tinyTransformer()
        let prompt = [3, 1, 4]
        let got = try model.generate(prompt: prompt, count: 12, sampler: sampler)
        let own = try prefillThenStep(prompt, count: 12, sampler: sampler, prefill: { tokens in
            let (logits, cache) = try model.prefill(tokens)
            return (logits.row(logits.rows - 1), cache)
        }, step: { token, cache in
            let stepped = try model.step(token, cache: cache)
            cache = stepped.cache
            return stepped.logits
        })
        #expect(got.tokens == own.tokens)
        #expect(got.logits == own.logits, "logits differ from the model's own prefill and step")
        #expect(got.cache.position == 3 + 11)
        let reread = try rereading(prompt, count: 12, sampler: sampler) { try model.forward($0) }
        #expect(got.tokens == reread.tokens)
        #expect(gap(got.logits, reread.logits) <= 1e-12, "largest logit gap \(gap(got.logits, reread.logits))")
    }

    /// The Transformer on the kernels: the GEMM prefill into a cache of room for the prompt and
    /// every new token but the last, then one step per token. Against the prefill read again and
    /// the reference: the same tokens, the logits within 1e-4 (logits of size ≲ 10 after two
    /// blocks whose sums the kernels order differently: blocked GEMM, SIMD softmax).
    @Test(arguments: samplers) func theTransformerOnTheKernels(sampler: Sampler) throws {
        let (reference, fast) = try floatTransformers()
        let got = try fast.generate(prompt: Self.prompt, count: 14, sampler: sampler)
        let own = try prefillThenStep(Self.prompt, count: 14, sampler: sampler, prefill: { tokens in
            var cache = try fast.emptyCache(capacity: 5 + 13)
            let logits = try fast.prefill(tokens, cache: &cache)
            return (logits.row(logits.rows - 1), cache)
        }, step: { token, cache in
            Matrix(rows: 1, columns: 65, entries: try fast.step(token, cache: &cache))
        })
        #expect(got.tokens == own.tokens)
        #expect(got.logits == own.logits, "logits differ from the model's own prefill and step")
        #expect(got.cache.position == 5 + 13 && got.cache.capacity == 5 + 13)
        let reread = try rereading(Self.prompt, count: 14, sampler: sampler) { tokens in
            var cache = try fast.emptyCache(capacity: tokens.count)
            return try fast.prefill(tokens, cache: &cache)
        }
        #expect(got.tokens == reread.tokens)
        #expect(gap(got.logits, reread.logits) <= 1e-4, "largest logit gap \(gap(got.logits, reread.logits))")
        let expected = try reference.generate(prompt: Self.prompt, count: 14, sampler: sampler)
        #expect(got.tokens == expected.tokens)
        #expect(gap(got.logits, expected.logits) <= 1e-4, "largest gap to the reference \(gap(got.logits, expected.logits))")
    }

    /// On torchscale's own checkpoints the kernels draw the reference's tokens, greedy and sampled.
    @Test(arguments: Fixtures.names) func theKernelsDrawTheReferencesTokens(name: String) throws {
        let reference = try TorchscaleCheckpoint(directory: Fixtures.directory(name)).model(Float.self)
        let fast = try FastRetNet(reference)
        let prompt = tokens(9, vocabulary: reference.config.vocabSize, seed: 12)
        for sampler in [Sampler.greedy, .temperature(0.8, seed: 3)] {
            let expected = try reference.generate(prompt: prompt, count: 12, sampler: sampler, prefill: .chunkwise(chunkSize: 4))
            let got = try fast.generate(prompt: prompt, count: 12, sampler: sampler, prefill: .chunkwise(chunkSize: 4))
            #expect(got.tokens == expected.tokens, "\(name) \(sampler)")
        }
    }

    /// The same seed draws the same tokens, whatever the model; another seed other tokens
    /// (20 draws at T = 1.5 over 11 or 65 ids).
    @Test func samplingIsReproducibleBySeed() throws {
        let retnet = try tinyRetNet(), transformer = try tinyTransformer()
        let (_, fastRetNet) = try floatRetNets(), (_, fastTransformer) = try floatTransformers()
        func draws<D: TokenDecoder>(_ decoder: D, seed: UInt64) throws(D.Failure) -> [Int] {
            try decoder.generate(prompt: Self.prompt, count: 20, sampler: .temperature(1.5, seed: seed)).tokens
        }
        let decoders: [(String, (UInt64) throws -> [Int])] = [
            ("RetNet", { try draws(retnet.decoding(), seed: $0) }),
            ("FastRetNet", { try draws(fastRetNet.decoding(), seed: $0) }),
            ("Transformer", { try draws(transformer, seed: $0) }),
            ("FastTransformer", { try draws(fastTransformer, seed: $0) }),
        ]
        for (name, draw) in decoders {
            let a = try draw(9), b = try draw(9), c = try draw(10)
            #expect(a == b, "\(name): one seed, two draws")
            #expect(a != c, "\(name): two seeds gave the same 20 tokens: \(a)")
        }
        // The prefill form changes the logits by rounding only, not the draws.
        let parallel = try retnet.generate(prompt: Self.prompt, count: 20, sampler: .temperature(1.5, seed: 9), prefill: .parallel)
        #expect(parallel.tokens == (try draws(retnet.decoding(), seed: 9)))
    }
}
