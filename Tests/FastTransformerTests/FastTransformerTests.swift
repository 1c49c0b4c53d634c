import FastTransformer
import Matrices
import RetNetModel
import TestSupport
import Testing
import Transformer

@Suite("The Transformer's Float decoding step on the kernels")
struct FastTransformerTests {
    static let variants: [RetNetConfig.Variant] = [.paper, .torchscale]

    @Test("Fast decoding matches the reference in Float, step after step (40 tokens, past two blocks of 16 scores)",
          arguments: variants)
    func matchesReference(variant: RetNetConfig.Variant) throws {
        let retnet = RetNetConfig(variant: variant, embedDim: 32, valueEmbedDim: 64, retentionHeads: 2, ffnEmbedDim: 48,
                                  layers: 2, vocabSize: 50, activationFn: variant == .paper ? .gelu : .swish)
        let config = TransformerConfig(matching: retnet)
        let model = try Transformer<Float>.random(config: config, seed: 4, normNoise: 0.2)
        let double = try Transformer<Double>.random(config: config, seed: 4, normNoise: 0.2)
        let fast = FastTransformer(model)
        let input = tokens(40, vocabulary: 50, seed: 7)
        var cache = model.emptyCache(), doubleCache = double.emptyCache(), fastCache = fast.emptyCache()
        var worstFast = 0.0, worstReference = 0.0
        for (position, token) in input.enumerated() {
            let reference: Matrix<Float>, exact: Matrix<Double>
            (reference, cache) = try model.step(token, cache: cache)
            (exact, doubleCache) = try double.step(token, cache: doubleCache)
            let logits = Matrix(rows: 1, columns: 50, entries: try fast.step(token, cache: &fastCache))
            // The fast step differs from the Float reference only by rounding: fused multiply–adds
            // in the products, `VectorMath.exp` (≤ 2 ulp) for libm's. Its distance from the Double
            // model must be of the Float reference's own order: within 4× of it, plus 1e-6 for
            // positions where the reference happens to be almost exact.
            let fastError = relativeError(logits.map(Double.init), exact)
            let referenceError = relativeError(reference.map(Double.init), exact)
            #expect(fastError <= 4 * referenceError + 1e-6,
                    "\(variant) position \(position): fast \(fastError) vs Float reference \(referenceError)")
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
    }

    @Test("Bad input is a typed error")
    func errors() throws {
        let config = TransformerConfig(matching: RetNetConfig(variant: .torchscale, embedDim: 8, valueEmbedDim: 8, retentionHeads: 2,
                                                              ffnEmbedDim: 10, layers: 1, vocabSize: 5))
        let fast = FastTransformer(try Transformer<Float>.random(config: config, seed: 1))
        var cache = fast.emptyCache()
        #expect(throws: TransformerError.token(position: 0, id: 5, vocabularySize: 5)) { try fast.step(5, cache: &cache) }
        #expect(cache.position == 0)
        // A cache from a model whose heads hold other value widths (d_v = 8 instead of 4).
        let wider = RetNetConfig(variant: .torchscale, embedDim: 8, valueEmbedDim: 16, retentionHeads: 2, ffnEmbedDim: 10,
                                 layers: 1, vocabSize: 5)
        let other = FastTransformer(try Transformer<Float>.random(config: TransformerConfig(matching: wider), seed: 1))
        var foreign = other.emptyCache()
        _ = try other.step(1, cache: &foreign)
        #expect(throws: TransformerError.self) { try fast.step(1, cache: &foreign) }
    }
}
