import DecodingCosts
import Matrices
import RetNetModel
import TestSupport
import Testing
import Transformer

@Suite("Decoding costs, counted")
struct DecodingCostTests {
    /// Shapes with different E, V, h, F, L, both variants: the counts must hold for any of them.
    static let shapes: [RetNetConfig] = [RetNetConfig.Variant.paper, .torchscale].flatMap { variant in
        [tinyConfig(variant),
         RetNetConfig(variant: variant, embedDim: 32, valueEmbedDim: 64, retentionHeads: 4, ffnEmbedDim: 64, layers: 3, vocabSize: 5),
         RetNetConfig(variant: variant, embedDim: 48, valueEmbedDim: 48, retentionHeads: 3, ffnEmbedDim: 20, layers: 1, vocabSize: 7)]
    }

    func retnetStateBytes<E>(_ state: RetNetState<E>) -> Int { bytes(state.layers.flatMap { $0.heads.map(\.s) }) }
    func cacheBytes<E>(_ cache: TransformerCache<E>) -> Int { bytes(cache.layers.flatMap { $0.keys + $0.values }) }

    @Test("Counted state and cache bytes equal the bytes the models hold (Double and Float)")
    func heldBytes() throws {
        for config in Self.shapes {
            let retnet = try RetNet<Double>.random(config: config, seed: 2)
            let retnetFloat = try retnet.converted(to: Float.self)
            let transformerConfig = TransformerConfig(matching: config)
            let transformer = try Transformer<Double>.random(config: transformerConfig, seed: 2)
            let transformerFloat = try Transformer<Float>.random(config: transformerConfig, seed: 2)
            for n in [0, 1, 7] {
                let input = tokens(n, vocabulary: config.vocabSize, seed: 5)
                let label = "\(config.variant) E=\(config.embedDim) h=\(config.retentionHeads) L=\(config.layers) n=\(n)"
                let state = try retnet.prefill(input, form: .parallel).state
                let stateFloat = try retnetFloat.prefill(input, form: .parallel).state
                let cache = try transformer.prefill(input).cache
                let cacheFloat = try transformerFloat.prefill(input).cache
                #expect(try DecodingCost.retnet(config, context: n, batch: 1, elementBytes: 8).stateBytes == retnetStateBytes(state),
                        "\(label): RetNet state, Double")
                #expect(try DecodingCost.retnet(config, context: n, batch: 1, elementBytes: 4).stateBytes
                        == retnetStateBytes(stateFloat), "\(label): RetNet state, Float")
                #expect(try DecodingCost.transformer(transformerConfig, context: n, batch: 1, elementBytes: 8).stateBytes
                        == cacheBytes(cache), "\(label): KV cache, Double")
                #expect(try DecodingCost.transformer(transformerConfig, context: n, batch: 1, elementBytes: 4).stateBytes
                        == cacheBytes(cacheFloat), "\(label): KV cache, Float")
            }
            // The cache grows by one token's K and V per step, the state not at all.
            let stepped = try transformer.step(1, cache: transformer.prefill([2, 3]).cache).cache
            #expect(try DecodingCost.transformer(transformerConfig, context: 3, batch: 1, elementBytes: 8).stateBytes
                    == cacheBytes(stepped))
        }
    }

    @Test("Counted weight bytes read per step equal the models' weights (all but the embedding table) plus B embedding rows")
    func weightBytes() throws {
        for config in Self.shapes {
            let retnet = try RetNet<Double>.random(config: config, seed: 2)
            let transformerConfig = TransformerConfig(matching: config)
            let transformer = try Transformer<Double>.random(config: transformerConfig, seed: 2)
            let table = config.vocabSize * config.embedDim
            for batch in [1, 4] {
                let rows = batch * config.embedDim
                #expect(try DecodingCost.retnet(config, context: 3, batch: batch, elementBytes: 8).weightBytesRead
                        == (retnet.parameterCount - table + rows) * 8, "\(config.variant) E=\(config.embedDim) B=\(batch): RetNet")
                #expect(try DecodingCost.transformer(transformerConfig, context: 3, batch: batch, elementBytes: 8).weightBytesRead
                        == (transformer.parameterCount - table + rows) * 8,
                        "\(config.variant) E=\(config.embedDim) B=\(batch): Transformer")
            }
        }
    }

    @Test("The break-even context is where the models' own cache first outgrows their own state")
    func breakEven() throws {
        for config in Self.shapes {
            let retnet = try RetNet<Double>.random(config: config, seed: 2)
            let transformer = try Transformer<Double>.random(config: TransformerConfig(matching: config), seed: 2)
            let stateBytes = retnetStateBytes(retnet.emptyState())
            let input = tokens(20, vocabulary: config.vocabSize, seed: 6)
            let measured = try (0...20).first { n throws(TransformerError) in
                cacheBytes(try transformer.prefill(Array(input[..<n])).cache) > stateBytes
            }
            let counted = try DecodingCost.breakEvenContext(keyDim: config.keyDim, valueDim: config.headDim)
            #expect(measured == counted, "\(config.variant) d_k=\(config.keyDim) d_v=\(config.headDim)")
        }
        // d_k = d_v = 16: at n = 8 the cache equals the state (8·32 = 16·16), so the break-even is 9.
        #expect(try DecodingCost.breakEvenContext(keyDim: 16, valueDim: 16) == 9)
    }

    @Test("Batching shares the weights: bytes per token fall with B, multiply–adds per token do not change")
    func batching() throws {
        let config = TransformerConfig(matching: tinyConfig(.torchscale))
        let one = try DecodingCost.transformer(config, context: 10, batch: 1, elementBytes: 2)
        let eight = try DecodingCost.transformer(config, context: 10, batch: 8, elementBytes: 2)
        #expect(eight.bytesReadPerToken < one.bytesReadPerToken)
        #expect(eight.multiplyAddsPerToken == one.multiplyAddsPerToken)
        #expect(eight.bytesReadPerStep == eight.weightBytesRead + 8 * eight.stateBytesRead)
        #expect(eight.bytesMovedPerStep == eight.bytesReadPerStep + 8 * eight.stateBytesWritten)
        // The Transformer writes one row: the cache of one token.
        #expect(eight.stateBytesWritten == (try DecodingCost.transformer(config, context: 1, batch: 1, elementBytes: 2)).stateBytes)
        // The RetNet writes its whole state back.
        let retnet = try DecodingCost.retnet(tinyConfig(.torchscale), context: 10, batch: 8, elementBytes: 2)
        #expect(retnet.stateBytesWritten == retnet.stateBytes)
    }

    @Test("Grouped-query attention: the cache shrinks by h/h_kv, the multiply–adds do not; h_kv must divide h")
    func groupedQueries() throws {
        let full = try DecodingCost.attentionMixing(layers: 2, heads: 8, keyDim: 4, valueDim: 6, context: 10, elementBytes: 2)
        let grouped = try DecodingCost.attentionMixing(layers: 2, heads: 8, kvHeads: 2, keyDim: 4, valueDim: 6, context: 10,
                                                       elementBytes: 2)
        #expect(full.bytes == 2 * 8 * 10 * (4 + 6) * 2)
        #expect(grouped.bytes * 4 == full.bytes)
        #expect(grouped.multiplyAdds == full.multiplyAdds)
        for bad in [0, 3, 9] {
            #expect(throws: TransformerError.self) {
                try DecodingCost.attentionMixing(layers: 2, heads: 8, kvHeads: bad, keyDim: 4, valueDim: 6, context: 10, elementBytes: 2)
            }
        }
    }

    @Test("The paper's 6.7B RetNet against its Transformer (V = E): 128 MiB of state, 512 KiB of cache per token, break-even at 257")
    func paperScale() throws {
        // L = 32, h = 16, d_k = 256, the RetNet's d_v = 512, the Transformer's 256, fp16.
        let at2048 = try DecodingCost.paper6_7B(context: 2048)
        #expect(at2048.retentionStateBytes == 32 * 16 * 256 * 512 * 2)  // 134 217 728 B = 128 MiB
        #expect(at2048.retentionStateBytes == 128 << 20)
        #expect(at2048.kvCacheBytes == 2048 * 32 * 16 * (256 + 256) * 2)  // 1 GiB
        #expect(at2048.kvCacheBytes == 1 << 30)
        #expect(at2048.kvRowBytes == 512 << 10)
        #expect(at2048.retentionMultiplyAdds == 32 * 16 * 3 * 256 * 512)
        #expect(at2048.attentionMultiplyAdds == 32 * 16 * (256 + 256) * 2049)
        // 16·256·512/8192 = 256 exactly: at 256 tokens the cache equals the state, so 257 is the first beyond it.
        #expect(at2048.breakEvenContext == 257)
        #expect(try DecodingCost.paper6_7B(context: 256).kvCacheBytes == at2048.retentionStateBytes)
        #expect(try DecodingCost.paper6_7B(context: 257).kvCacheBytes > at2048.retentionStateBytes)
        #expect(try DecodingCost.paper6_7B(context: 8192).kvCacheBytes == 4 << 30)
        #expect(try DecodingCost.paper6_7B(context: 0, kvHeads: 4).breakEvenContext == 1_025)
        #expect(try DecodingCost.breakEvenContext(stateElements: 100, cacheElementsPerToken: 7) == 15)
    }

    @Test("Bad sizes are typed errors, absurd ones too")
    func errors() throws {
        let config = tinyConfig(.paper)
        #expect(throws: TransformerError.self) { try DecodingCost.retnet(config, context: -1, batch: 1, elementBytes: 2) }
        #expect(throws: TransformerError.self) { try DecodingCost.retnet(config, context: 0, batch: 0, elementBytes: 2) }
        #expect(throws: TransformerError.self) { try DecodingCost.paper6_7B(context: Int.max / 2) }
        #expect(throws: TransformerError.self) { try DecodingCost.breakEvenContext(keyDim: 0, valueDim: 4) }
    }
}
