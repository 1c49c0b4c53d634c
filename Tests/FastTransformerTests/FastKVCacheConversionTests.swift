import DecodingCosts
import FastTransformer
import Matrices
import RetNetModel
import TestSupport
import Testing
import Transformer

@Suite("A reference KV cache laid out for the fast decoding step")
struct FastKVCacheConversionTests {
    @Test("The converted cache holds the reference's keys and values, and decoding continues from it as from the reference cache")
    func conversion() throws {
        let retnet = RetNetConfig(variant: .torchscale, embedDim: 16, valueEmbedDim: 32, retentionHeads: 2, ffnEmbedDim: 24,
                                  layers: 2, vocabSize: 20)
        let model = try Transformer<Float>.random(config: TransformerConfig(matching: retnet), seed: 3, normNoise: 0.1)
        let fast = try FastTransformer(model)
        let prompt = tokens(9, vocabulary: 20, seed: 2)
        let (_, reference) = try model.prefill(prompt)
        var converted = try FastKVCache(reference, capacity: 12)
        #expect(converted.position == 9)
        #expect(converted.capacity == 12)
        #expect(converted.scalarCount == reference.scalarCount)
        #expect(converted.keys(layer: 1, head: 0) == reference.layers[1].keys[0])
        #expect(converted.values(layer: 0, head: 1) == reference.layers[0].values[1])
        // The next token's logits from the converted cache and from the reference step agree to
        // Float rounding (1e-5 relative, as the fast step's own test allows); a shifted or
        // transposed cache moves them by ≥ 1e-3.
        let logits = Matrix(rows: 1, columns: 20, entries: try fast.step(4, cache: &converted))
        let (expected, _) = try model.step(4, cache: reference)
        expectClose(logits, expected, relative: 1e-5, "first step after the converted cache")
        #expect(converted.position == 10)
    }

    @Test("A capacity below the tokens the reference cache holds is refused")
    func capacityTooSmall() throws {
        let retnet = RetNetConfig(variant: .torchscale, embedDim: 8, valueEmbedDim: 16, retentionHeads: 2, ffnEmbedDim: 8,
                                  layers: 1, vocabSize: 10)
        let model = try Transformer<Float>.random(config: TransformerConfig(matching: retnet), seed: 1)
        let (_, reference) = try model.prefill(tokens(5, vocabulary: 10, seed: 1))
        #expect(throws: TransformerError.self) { _ = try FastKVCache(reference, capacity: 4) }
        #expect(try FastKVCache(reference).capacity == 5)
    }
}
