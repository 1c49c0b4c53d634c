import FastRetNet
import FastTransformer
import Generation
import Layers
import Matrices
import RetNetModel
import TestSupport
import Testing
import Transformer

/// nanoGPT's sliding window (`context:`): while the text fits in the window the cache is stepped,
/// which gives the logits of reading the window again up to rounding; past it, every new token's
/// logits are those of reading the last `context` tokens again from position 0, bit for bit.
@Suite struct SlidingWindowTests {
    static let cases: [(prompt: [Int], sampler: Sampler)] = [
        ([3, 1, 4], .greedy), ([3, 1, 4, 1, 5, 9, 2, 6, 5], .greedy), ([3, 1, 4], .temperature(0.9, seed: 5)),
    ]

    /// Checks `got` (12 tokens after `prompt` with a window of 5) against nanoGPT's loop on
    /// `forward` (the model reading a window from position 0, as the loop's `read` does): the same
    /// tokens; the rows chosen past the window equal; those before within `bound`.
    static func expectWindow<E: RealScalar>(_ got: Generated<E, some Any>, prompt: [Int], sampler: Sampler, bound: Double,
                                            _ what: String, forward: ([Int]) throws -> Matrix<E>) throws
    {
        let expected = try rereading(prompt, count: 12, sampler: sampler, context: 5, forward: forward)
        #expect(got.tokens == expected.tokens, "\(what)")
        #expect(got.logits.rows == 12, "\(what)")
        // Row i is chosen from the text of prompt.count + i tokens: past the window from i = 6 − prompt.count.
        let past = Swift.max(0, 6 - prompt.count)
        #expect(got.logits.rowRange(past..<12) == expected.logits.rowRange(past..<12), "\(what): past the window")
        let within = gap(got.logits.rowRange(0..<past), expected.logits.rowRange(0..<past))
        #expect(within <= bound, "\(what): within the window, largest gap \(within)")
    }

    /// The reference Transformer (within the window 1e-12: Double, logits of size ~1 summed over
    /// 8-wide rows). The window matters: a model that read the whole text would predict
    /// otherwise past it.
    @Test(arguments: cases) func theTransformersIsNanoGPTs(prompt: [Int], sampler: Sampler) throws {
        let model = try tinyTransformer()
        let got = try model.generate(prompt: prompt, count: 12, sampler: sampler, context: 5)
        try Self.expectWindow(got, prompt: prompt, sampler: sampler, bound: 1e-12, "Transformer") { try model.forward($0) }
        let unlimited = try rereading(prompt, count: 12, sampler: sampler) { try model.forward($0) }
        #expect(gap(got.logits.rowRange(8..<12), unlimited.logits.rowRange(8..<12)) > 1e-3)
    }

    /// The reference RetNet, its window read chunkwise (recurrent_chunk_size 3) as its prompt is;
    /// within the window the recurrent steps against the chunkwise form, 1e-10 relative to
    /// logits of size ~1 (Double).
    @Test(arguments: cases) func theRetNetsIsNanoGPTs(prompt: [Int], sampler: Sampler) throws {
        let model = try tinyRetNet()
        let got = try model.generate(prompt: prompt, count: 12, sampler: sampler, context: 5)
        try Self.expectWindow(got, prompt: prompt, sampler: sampler, bound: 1e-10, "RetNet") {
            try model.logits($0, form: .chunkwise(chunkSize: 3))
        }
    }

    /// The kernels (within the window the decoding step against the prefill read again, 1e-4:
    /// Float logits of size ≲ 10 after two blocks summed in another order), and the reference's
    /// tokens from its logits within the same bound.
    @Test(arguments: cases) func theKernelsAreNanoGPTs(prompt: [Int], sampler: Sampler) throws {
        let (referenceTransformer, fastTransformer) = try floatTransformers()
        let transformer = try fastTransformer.generate(prompt: prompt, count: 12, sampler: sampler, context: 5)
        try Self.expectWindow(transformer, prompt: prompt, sampler: sampler, bound: 1e-4, "FastTransformer") { tokens in
            var cache = try fastTransformer.emptyCache(capacity: 5)
            return try fastTransformer.prefill(tokens, cache: &cache)
        }
        let expected = try referenceTransformer.generate(prompt: prompt, count: 12, sampler: sampler, context: 5)
        #expect(transformer.tokens == expected.tokens)
        #expect(gap(transformer.logits, expected.logits) <= 1e-4, "largest gap \(gap(transformer.logits, expected.logits))")

        let (referenceRetNet, fastRetNet) = try floatRetNets()
        let retnet = try fastRetNet.generate(prompt: prompt, count: 12, sampler: sampler, context: 5)
        try Self.expectWindow(retnet, prompt: prompt, sampler: sampler, bound: 1e-4, "FastRetNet") {
            try fastRetNet.forward($0, form: .chunkwise(chunkSize: 4)).logits
        }
        #expect(retnet.tokens == (try referenceRetNet.generate(prompt: prompt, count: 12, sampler: sampler, context: 5).tokens))
    }

    /// A window at least as long as the text is no window: the same tokens and logits as none.
    @Test func aWideWindowIsTheWholeText() throws {
        let (_, fast) = try floatTransformers()
        let whole = try fast.generate(prompt: [3, 1, 4], count: 10, sampler: .temperature(0.9, seed: 2))
        let wide = try fast.generate(prompt: [3, 1, 4], count: 10, sampler: .temperature(0.9, seed: 2), context: 12)
        #expect(wide.tokens == whole.tokens)
        #expect(wide.logits == whole.logits)
        #expect(wide.cache.capacity == 12 && wide.cache.position == 12)
    }
}
