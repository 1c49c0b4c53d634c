import FastTransformer
import Matrices
import RetNetModel
import TestSupport
import Testing
import Transformer

@Suite("FastTransformer.Decoder: batches, threads, no allocation")
struct TransformerDecoderTests {
    /// The wide model on `threads` threads and three caches prefilled with prompts of 11, 30 and
    /// 17 tokens (capacities 60, 45 and 33): sequences at different positions, as a batch has.
    static func prefilled(threads: Int, variant: RetNetConfig.Variant = .torchscale) throws
        -> (model: FastTransformer, caches: [FastKVCache])
    {
        let fast = try FastTransformer(try models(wideConfig(variant), seed: 31).float, threads: threads)
        var caches: [FastKVCache] = []
        for (i, (length, capacity)) in [(11, 60), (30, 45), (17, 33)].enumerated() {
            var cache = try fast.emptyCache(capacity: capacity)
            _ = try fast.prefill(tokens(length, vocabulary: 130, seed: 40 + UInt64(i)), cache: &cache)
            caches.append(cache)
        }
        return (fast, caches)
    }

    @Test("a decoder's steps equal FastTransformer.step bit for bit, logits and cache", arguments: RetNetConfig.Variant.allCases)
    func decoderEqualsStep(variant: RetNetConfig.Variant) throws {
        let (fast, caches) = try Self.prefilled(threads: 2, variant: variant)
        var cache = caches[0]
        let decoder = try FastTransformer.Decoder(fast, caches: [cache])
        for token in tokens(12, vocabulary: 130, seed: 34) {
            let expected = try fast.step(token, cache: &cache)
            try decoder.step(token)
            #expect(decoder.logits == expected, "\(variant): logits at position \(cache.position - 1)")
        }
        #expect(decoder.caches == [cache])
        // The cache handed in is the caller's still: the decoder's first step copied it.
        #expect(caches[0].position == 11)
    }

    /// B sequences in one decoder against B decoders of one sequence each: in a batch the
    /// products are the multi-row panel kernel, alone the one-row kernel; attention reads each
    /// sequence's own cache. Equal bit for bit, for 1, 2 and 3 threads (heads and panels split
    /// differently): a sequence's numbers depend on nothing else.
    @Test("a batch of B sequences equals B single-sequence decoders bit for bit, for any thread count",
          arguments: RetNetConfig.Variant.allCases, [1, 2, 3])
    func batchEqualsSingleSequences(variant: RetNetConfig.Variant, threads: Int) throws {
        let (fast, caches) = try Self.prefilled(threads: threads, variant: variant)
        let single = try FastTransformer(try models(wideConfig(variant), seed: 31).float)  // one thread
        let batch = try FastTransformer.Decoder(fast, caches: caches)
        let alone = try caches.map { cache throws(TransformerError) in try FastTransformer.Decoder(single, caches: [cache]) }
        let steps = [tokens(14, vocabulary: 130, seed: 50), tokens(14, vocabulary: 130, seed: 51),
                     tokens(14, vocabulary: 130, seed: 52)]
        for i in 0..<14 {
            try batch.step(steps.map { $0[i] })
            for b in 0..<3 {
                try alone[b].step(steps[b][i])
                #expect(row(batch.logits, b, vocabulary: 130) == row(alone[b].logits, 0, vocabulary: 130),
                        "\(variant), \(threads) threads: sequence \(b), step \(i)")
            }
        }
        #expect(batch.caches == alone.map { $0.caches[0] })
        #expect(batch.caches.map(\.position) == [25, 44, 31])
    }

    /// The reference's batched step in Double (`Transformer.step(_:caches:)`) from the same
    /// prompts: each row of the batch as close to it as a Float model is (see
    /// `FastTransformerTests.matchesReference`: within 4× the Float reference's own error).
    @Test("a batch stays as close to the Double reference's batched step as the Float reference")
    func batchMatchesReference() throws {
        let (double, float) = try models(wideConfig(.paper), seed: 32)
        let fast = try FastTransformer(float, threads: 2)
        let prompts = [tokens(9, vocabulary: 130, seed: 60), tokens(21, vocabulary: 130, seed: 61)]
        var exactCaches: [TransformerCache<Double>] = [], floatCaches: [TransformerCache<Float>] = []
        var caches: [FastKVCache] = []
        for prompt in prompts {
            exactCaches.append(try double.prefill(prompt).cache)
            floatCaches.append(try float.prefill(prompt).cache)
            var cache = try fast.emptyCache(capacity: 40)
            _ = try fast.prefill(prompt, cache: &cache)
            caches.append(cache)
        }
        let decoder = try FastTransformer.Decoder(fast, caches: caches)
        for i in 0..<8 {
            let next = [tokens(8, vocabulary: 130, seed: 62)[i], tokens(8, vocabulary: 130, seed: 63)[i]]
            let exact: Matrix<Double>, reference: Matrix<Float>
            (exact, exactCaches) = try double.step(next, caches: exactCaches)
            (reference, floatCaches) = try float.step(next, caches: floatCaches)
            try decoder.step(next)
            for b in 0..<2 {
                expectAsCloseAsFloatReference(row(decoder.logits, b, vocabulary: 130), reference: reference.row(b),
                                              exact: exact.row(b), "step \(i), sequence \(b)")
            }
        }
    }

    @Test("decoding steps allocate nothing on the decoding thread", .enabled(if: canCountAllocations, allocationCountingUnavailable), arguments: [1, 2])
    func decodingAllocatesNothing(threads: Int) throws {
        let (fast, caches) = try Self.prefilled(threads: threads)
        let single = try FastTransformer.Decoder(fast, caches: [caches[1]])
        let batch = try FastTransformer.Decoder(fast, caches: caches)
        // The first steps copy the caches (the caller still holds them) and set up what the
        // runtime makes once: outside the count.
        try single.step(3)
        try batch.step([3, 4, 5])
        let input = tokens(12, vocabulary: 130, seed: 33)
        let triples = (0..<12).map { [input[$0], input[11 - $0], 7] }
        var sum: Float = 0
        let count = try allocations { () throws(TransformerError) in
            // By index: iterating an array calls generic code that allocates in debug builds.
            for i in 0..<12 {
                try single.step(input[i])
                try batch.step(triples[i])
                sum += single.logits[input[i]] + batch.logits[input[i]]  // reading the logits copies nothing
            }
        }
        // With 2 threads the helper thread's parts of each step are not counted (counts are per
        // thread): they run the same code, on other panels and heads, as the decoding thread's.
        #expect(count == 0, "\(threads) thread(s): \(count) heap allocations in 12 single and 12 batch steps")
        #expect(sum.isFinite && single.caches[0].position == 30 + 1 + 12)
    }

    /// The count above can fail: `FastTransformer.step`, which allocates its buffers and its
    /// logits, is seen allocating.
    @Test("the counter sees the allocations of FastTransformer.step", .enabled(if: canCountAllocations, allocationCountingUnavailable))
    func theCounterSeesAllocations() throws {
        let (fast, caches) = try Self.prefilled(threads: 1)
        var cache = caches[0]
        _ = try fast.step(3, cache: &cache)
        var logits: [Float] = []
        let count = try allocations { () throws(TransformerError) in logits = try fast.step(4, cache: &cache) }
        #expect(count >= 2, "FastTransformer.step: \(count) allocations (expected its workspace and its logits)")
        #expect(logits.count == 130)
    }

    @Test("bad input to a decoder throws and changes nothing")
    func badInput() throws {
        let (fast, caches) = try Self.prefilled(threads: 1)
        #expect(throws: TransformerError.argument(name: "caches", expected: "one cache per sequence, at least one (batch B ≥ 1)",
                                                  got: "none")) { try FastTransformer.Decoder(fast, caches: []) }
        #expect(throws: TransformerError.argument(name: "batch", expected: "at least one sequence (B ≥ 1)", got: "0")) {
            try FastTransformer.Decoder(fast, capacity: 8, batch: 0)
        }
        #expect(throws: TransformerError.argument(name: "capacity", expected: "room for at least 1 token", got: "0")) {
            try FastTransformer.Decoder(fast, capacity: 0, batch: 2)
        }
        let decoder = try FastTransformer.Decoder(fast, caches: caches)
        #expect(throws: TransformerError.argument(name: "tokens", expected: "one token per sequence (B = 3)", got: "2 tokens")) {
            try decoder.step([1, 2])
        }
        #expect(throws: TransformerError.argument(name: "tokens", expected: "one token per sequence (B = 3)", got: "1 token")) {
            try decoder.step(1)
        }
        #expect(throws: TransformerError.token(position: 2, id: 130, vocabularySize: 130)) { try decoder.step([1, 2, 130]) }
        #expect(decoder.caches == caches && decoder.logits.allSatisfy { $0 == 0 })
        // The second cache (capacity 45, 30 tokens) fills after 15 steps; the 16th is refused whole.
        for i in 0..<15 { try decoder.step([i, i, i]) }
        let before = decoder.caches
        #expect(throws: TransformerError.capacity(capacity: 45, position: 45, adding: 1)) { try decoder.step([1, 2, 3]) }
        #expect(decoder.caches == before)
        // A cache of another model.
        let other = try FastTransformer(try models(smallConfig(.torchscale), seed: 1).float)
        #expect(throws: TransformerError.self) { try FastTransformer.Decoder(fast, caches: [try other.emptyCache(capacity: 4)]) }
    }
}
