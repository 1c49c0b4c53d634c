import DecodingCosts
import FastTransformer
import Matrices
import RetNetModel
import TestSupport
import Testing
import Transformer

@Suite("The Transformer in Float on the kernels, against the reference")
struct FastTransformerTests {
    static let variants: [RetNetConfig.Variant] = [.paper, .torchscale]

    @Test("Fast decoding matches the reference in Float, step after step (40 tokens, past two strips of 16 keys)",
          arguments: variants)
    func matchesReference(variant: RetNetConfig.Variant) throws {
        let config = smallConfig(variant)
        let (double, model) = try models(config, seed: 4)
        let fast = try FastTransformer(model)
        let input = tokens(40, vocabulary: 50, seed: 7)
        var cache = model.emptyCache(), doubleCache = double.emptyCache(), fastCache = try fast.emptyCache(capacity: 40)
        var worstFast = 0.0, worstReference = 0.0
        for (position, token) in input.enumerated() {
            let reference: Matrix<Float>, exact: Matrix<Double>
            (reference, cache) = try model.step(token, cache: cache)
            (exact, doubleCache) = try double.step(token, cache: doubleCache)
            let logits = Matrix(rows: 1, columns: 50, entries: try fast.step(token, cache: &fastCache))
            // The fast step differs from the Float reference only by rounding (fused multiply–adds
            // in the products, `VectorMath.exp` within 2 ulp of libm's).
            let (fastError, referenceError) = expectAsCloseAsFloatReference(logits, reference: reference, exact: exact,
                                                                            "\(variant) position \(position)")
            // Both are within ~7e-7 of the Double model (measured), so within ~1.4e-6 of each other:
            // 1e-5 leaves room for other seeds and still fails on any real mistake (a wrong
            // position, a missing key), which moves the logits by ≥ 1e-3.
            expectClose(logits, reference, relative: 1e-5, "\(variant) position \(position): fast vs Float reference")
            worstFast = max(worstFast, fastError)
            worstReference = max(worstReference, referenceError)
        }
        print("\(variant): relative error against Double, worst over 40 steps: fast \(worstFast), Float reference \(worstReference)")
        #expect(fastCache.position == 40)
        #expect(fastCache.scalarCount == cache.scalarCount)
        // The cache holds the reference's keys (rotated) and values, to Float rounding.
        for l in 0..<config.layers {
            for h in 0..<config.heads {
                expectClose(fastCache.keys(layer: l, head: h), cache.layers[l].keys[h], relative: 1e-5, "keys \(l).\(h)")
                expectClose(fastCache.values(layer: l, head: h), cache.layers[l].values[h], relative: 1e-5, "values \(l).\(h)")
            }
        }
    }

    /// 300 tokens: two chunks of a prefill (256 rows, then 44), five tiles of 64 queries, the
    /// last strip of keys partly filled. Every row's logits and the cache against the reference.
    @Test("A prefill matches the reference's: logits of every row and the cache", arguments: variants)
    func prefillMatchesReference(variant: RetNetConfig.Variant) throws {
        let config = smallConfig(variant)
        let (double, model) = try models(config, seed: 5)
        let input = tokens(300, vocabulary: 50, seed: 8)
        let (reference, referenceCache) = try model.prefill(input)
        let exact = try double.forward(input)
        let fast = try FastTransformer(model, threads: 2)
        var cache = try fast.emptyCache(capacity: 310)
        let logits = try fast.prefill(input, cache: &cache)
        // As for a decoding step: the products (GEMM blocks, fused), the exponentials and the
        // softmax's sum differ from the Float reference by rounding only, row by row.
        for t in 0..<300 {
            expectAsCloseAsFloatReference(logits.row(t), reference: reference.row(t), exact: exact.row(t), "\(variant) row \(t)")
        }
        // 1e-5 against the Float reference: see `matchesReference`.
        expectClose(logits, reference, relative: 1e-5, "\(variant): prefill logits vs Float reference")
        #expect(cache.position == 300 && cache.scalarCount == referenceCache.scalarCount)
        for l in 0..<config.layers {
            for h in 0..<config.heads {
                expectClose(cache.keys(layer: l, head: h), referenceCache.layers[l].keys[h], relative: 1e-5, "keys \(l).\(h)")
                expectClose(cache.values(layer: l, head: h), referenceCache.layers[l].values[h], relative: 1e-5,
                            "values \(l).\(h)")
            }
        }
        // Decoding carries on from the prefilled cache as the reference does from its own.
        var carried = referenceCache
        for token in tokens(5, vocabulary: 50, seed: 9) {
            let expected: Matrix<Float>
            (expected, carried) = try model.step(token, cache: carried)
            let got = Matrix(rows: 1, columns: 50, entries: try fast.step(token, cache: &cache))
            expectClose(got, expected, relative: 1e-5, "\(variant): a step after the prefill")
        }
    }

    @Test("A prompt read in two prefills equals one prefill of both to Float rounding")
    func prefillContinues() throws {
        let (_, model) = try models(smallConfig(.torchscale), seed: 6)
        let fast = try FastTransformer(model)
        let input = tokens(70, vocabulary: 50, seed: 10)
        var whole = try fast.emptyCache(capacity: 70), parts = try fast.emptyCache(capacity: 80)
        let all = try fast.prefill(input, cache: &whole)
        let first = try fast.prefill(Array(input[..<33]), cache: &parts)
        let second = try fast.prefill(Array(input[33...]), cache: &parts)
        // The same arithmetic on the same rows but for the GEMM's row tiles of 6 (33 is not a
        // multiple of 6: the rows sit in other tiles) and the softmax weights' row length,
        // neither of which changes a sum's order of terms: equal, not just close.
        #expect(first == all.rowRange(0..<33) && second == all.rowRange(33..<70))
        #expect(parts.position == 70)
        for l in 0..<2 {
            for h in 0..<2 {
                #expect(parts.keys(layer: l, head: h) == whole.keys(layer: l, head: h))
                #expect(parts.values(layer: l, head: h) == whole.values(layer: l, head: h))
            }
        }
    }

    /// Threads split heads, GEMM row tiles, rows of the norms and column panels, never a sum.
    @Test("A prefill and the steps after it are bit-identical on 1, 2 and 3 threads")
    func threadsChangeNothing() throws {
        let model = try models(wideConfig(.paper), seed: 7).float
        let input = tokens(75, vocabulary: 130, seed: 11), next = tokens(6, vocabulary: 130, seed: 12)
        var results: [(logits: Matrix<Float>, steps: [[Float]], cache: FastKVCache)] = []
        for threads in [1, 2, 3] {
            let fast = try FastTransformer(model, threads: threads)
            var cache = try fast.emptyCache(capacity: 81)
            let logits = try fast.prefill(input, cache: &cache)
            var steps: [[Float]] = []
            for token in next { steps.append(try fast.step(token, cache: &cache)) }
            results.append((logits, steps, cache))
        }
        for r in results.dropFirst() {
            #expect(r.logits == results[0].logits && r.steps == results[0].steps && r.cache == results[0].cache)
        }
    }

    @Test("Bad input is a typed error and changes nothing")
    func errors() throws {
        let config = TransformerConfig(matching: RetNetConfig(variant: .torchscale, embedDim: 8, valueEmbedDim: 8,
                                                              retentionHeads: 2, ffnEmbedDim: 10, layers: 1, vocabSize: 5))
        let fast = try FastTransformer(try Transformer<Float>.random(config: config, seed: 1))
        #expect(throws: TransformerError.argument(name: "threads", expected: "a thread count ≥ 1", got: "0")) {
            try fast.with(threads: 0)
        }
        #expect(throws: TransformerError.argument(name: "threads", expected: "a thread count ≤ 256", got: "257")) {
            try fast.with(threads: 257)
        }
        #expect(throws: TransformerError.argument(name: "capacity", expected: "room for at least 1 token", got: "0")) {
            try fast.emptyCache(capacity: 0)
        }
        var cache = try fast.emptyCache(capacity: 3)
        #expect(throws: TransformerError.token(position: 0, id: 5, vocabularySize: 5)) { try fast.step(5, cache: &cache) }
        #expect(throws: TransformerError.token(position: 1, id: -1, vocabularySize: 5)) { try fast.prefill([1, -1], cache: &cache) }
        #expect(cache == (try fast.emptyCache(capacity: 3)))
        // Capacity: a prompt that does not fit, then a step past the last slot.
        #expect(throws: TransformerError.capacity(capacity: 3, position: 0, adding: 4)) {
            try fast.prefill([1, 2, 3, 4], cache: &cache)
        }
        _ = try fast.prefill([1, 2], cache: &cache)
        _ = try fast.step(3, cache: &cache)
        let full = cache
        #expect(throws: TransformerError.capacity(capacity: 3, position: 3, adding: 1)) { try fast.step(4, cache: &cache) }
        #expect(cache == full && cache.position == 3)
        // A cache from a model whose heads hold other value widths (d_v = 8 instead of 4).
        let wider = RetNetConfig(variant: .torchscale, embedDim: 8, valueEmbedDim: 16, retentionHeads: 2, ffnEmbedDim: 10,
                                 layers: 1, vocabSize: 5)
        let other = try FastTransformer(try Transformer<Float>.random(config: TransformerConfig(matching: wider), seed: 1))
        var foreign = try other.emptyCache(capacity: 4)
        _ = try other.step(1, cache: &foreign)
        let before = foreign
        #expect(throws: TransformerError.self) { try fast.step(1, cache: &foreign) }
        #expect(throws: TransformerError.self) { try fast.prefill([1], cache: &foreign) }
        #expect(foreign == before)
    }
}
