import DecodingCosts
import Matrices
import RetNetModel
import TestSupport
import Testing
import Transformer

@Suite("A Transformer of a RetNet's shape")
struct TransformerTests {
    static let variants: [RetNetConfig.Variant] = [.paper, .torchscale]

    @Test("Cached decoding equals the full causal forward (Double, 1e-12)", arguments: variants, AttentionScoring.allCases)
    func cachedDecoding(variant: RetNetConfig.Variant, scoring: AttentionScoring) throws {
        // The two paths compute the same sums — prefill through chapter 01's
        // `CausalAttention.softmax` on whole matrices, step one query against its cache — with the
        // same formulas but not necessarily the same association (the matrix product skips zeros
        // and sums in its own order), so they may differ by rounding: a few ulps (1e-16) per
        // operation through two blocks of norms, softmax and FFNs. 1e-12 leaves ~10⁴ ulps of room;
        // a key rotated to the wrong position or a missing key moves the logits by ≥ 1e-3 (shown
        // below), so the bound still tells right from wrong. (Measured here: 0 — the two paths
        // happen to associate every sum alike — but nothing in the code promises that.)
        let model = try tinyTransformer(variant, scoring: scoring)
        let input = tokens(12, vocabulary: tinyVocabulary, seed: 3)
        let full = try model.forward(input)
        var worst = 0.0
        for promptLength in [0, 1, 5] {
            var (logits, cache) = try model.prefill(Array(input[..<promptLength]))
            expectClose(logits, full.rowRange(0..<promptLength), relative: 1e-12, "\(variant): prefill of \(promptLength)")
            for position in promptLength..<input.count {
                (logits, cache) = try model.step(input[position], cache: cache)
                let measured = expectClose(logits, full.row(position), relative: 1e-12,
                                           "\(variant): step at position \(position) after a prompt of \(promptLength)")
                worst = max(worst, measured.error)
                #expect(cache.position == position + 1)
            }
        }
        print("\(variant), \(scoring): cached decoding vs full forward, worst relative error \(worst)")

        // The check has teeth: the same step from a cache that lost its first token.
        let (_, cache) = try model.prefill(Array(input[..<6]))
        let truncated = try model.prefill(Array(input[1..<6])).cache
        let right = try model.step(input[6], cache: cache).logits
        let wrong = try model.step(input[6], cache: truncated).logits
        #expect(relativeError(wrong, right) > 1e-3, "a cache missing a token should change the logits")
    }

    @Test("Parameter count within 15% of the RetNet's (the FFN absorbs W_G)", arguments: variants)
    func parameterCount(variant: RetNetConfig.Variant) throws {
        // Shapes from tiny to the paper's ratios (V = 2E, F = 2E), with small vocabularies so the
        // blocks, where the two models differ, dominate the count.
        let shapes = [tinyConfig(variant),
                      RetNetConfig(variant: variant, embedDim: 32, valueEmbedDim: 64, retentionHeads: 4, ffnEmbedDim: 64,
                                   layers: 3, vocabSize: 5),
                      RetNetConfig(variant: variant, embedDim: 48, valueEmbedDim: 48, retentionHeads: 3, ffnEmbedDim: 192,
                                   layers: 2, vocabSize: 7)]
        for shape in shapes {
            let retnet = try RetNet<Double>.random(config: shape, seed: 1)
            let transformer = try Transformer<Double>.random(config: TransformerConfig(matching: shape), seed: 1)
            let ratio = Double(transformer.parameterCount) / Double(retnet.parameterCount)
            print("\(variant) E=\(shape.embedDim) V=\(shape.valueEmbedDim) F=\(shape.ffnEmbedDim): "
                  + "RetNet \(retnet.parameterCount), Transformer \(transformer.parameterCount) (ratio \(ratio))")
            #expect(abs(ratio - 1) <= 0.15, "\(variant) \(shape.embedDim): parameter ratio \(ratio)")
        }
        // Without moving W_G's weights into the FFN, the paper's shape (V = 2E, plain F = 2E)
        // leaves the Transformer a sixth smaller per block — outside 15% — which is why F′ ≠ F.
        let paperShape = RetNetConfig(variant: .paper, embedDim: 32, valueEmbedDim: 64, retentionHeads: 4, ffnEmbedDim: 64,
                                      layers: 3, vocabSize: 5)
        let sameF = try Transformer<Double>.random(config: TransformerConfig(matching: paperShape, ffnEmbedDim: 64), seed: 1)
        let retnet = try RetNet<Double>.random(config: paperShape, seed: 1)
        #expect(Double(sameF.parameterCount) / Double(retnet.parameterCount) < 0.85)
    }

    @Test("Bad input is a typed error")
    func errors() throws {
        let model = try tinyTransformer(.torchscale)
        #expect(throws: TransformerError.token(position: 1, id: tinyVocabulary, vocabularySize: tinyVocabulary)) {
            try model.forward([0, tinyVocabulary])
        }
        let other = try Transformer<Double>.random(
            config: TransformerConfig(matching: RetNetConfig(variant: .torchscale, embedDim: 8, valueEmbedDim: 8, retentionHeads: 2,
                                                              ffnEmbedDim: 10, layers: 2, vocabSize: tinyVocabulary)), seed: 1)
        let foreign = try other.prefill([1, 2]).cache
        #expect(throws: TransformerError.self) { try model.step(0, cache: foreign) }
        #expect(throws: TransformerError.self) { try model.step([0, 1], caches: [model.emptyCache()]) }
        #expect(throws: TransformerError.self) { try model.step([], caches: []) }
        var config = TransformerConfig(matching: tinyConfig(.paper))
        config.heads = 3
        #expect(throws: TransformerError.self) { try Transformer<Double>.random(config: config, seed: 1) }
    }
}

@Suite("A Transformer's parts reject what does not fit")
struct TransformerPartsTests {
    @Test("Attention and block: a row of the wrong width, a batch without a cache per row, a foreign cache")
    func partErrors() throws {
        let model = try tinyTransformer(.torchscale)
        let block = model.blocks[0]
        let wide = Matrix<Double>(rows: 1, columns: 9)
        var caches = [block.attention.emptyCache()]
        #expect(throws: TransformerError.self) { try block(wide) }
        #expect(throws: TransformerError.self) { try block.step(wide, caches: &caches) }
        let rows = Matrix<Double>(rows: 2, columns: 8)
        #expect(throws: TransformerError.self) { try block.attention.step(rows, caches: &caches) }
        var foreign = [AttentionCache<Double>(keys: [Matrix(rows: 1, columns: 4)], values: [Matrix(rows: 1, columns: 6)])]
        #expect(throws: TransformerError.self) { try block.attention.step(rows.row(0), caches: &foreign) }
        #expect(caches == [block.attention.emptyCache()], "a rejected step changes nothing")
    }
}
