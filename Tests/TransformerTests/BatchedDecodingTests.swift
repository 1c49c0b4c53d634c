import Matrices
import RetNetModel
import TestSupport
import Testing
import Transformer

@Suite("Batched Transformer decoding")
struct BatchedDecodingTests {
    @Test("B sequences at different positions, one step each: bit for bit the B separate steps",
          arguments: [RetNetConfig.Variant.paper, .torchscale])
    func batchedEqualsSeparate(variant: RetNetConfig.Variant) throws {
        let model = try tinyTransformer(variant)
        // Prompts of different lengths (0 included), so the caches in one batch differ in length.
        let prompts = [[], [3, 1], [4, 1, 5, 9, 2], [3, 1]]
        var caches = try prompts.map { prompt throws(TransformerError) in try model.prefill(prompt).cache }
        var separate = caches
        for round in 0..<4 {
            let next = prompts.indices.map { b in (7 * b + 3 * round + 1) % tinyVocabulary }
            let batched = try model.step(next, caches: caches)
            for b in prompts.indices {
                let single = try model.step(next[b], cache: separate[b])
                #expect(batched.logits.row(b).storage.map(\.bitPattern) == single.logits.storage.map(\.bitPattern),
                        "\(variant) round \(round): logits of sequence \(b)")
                #expect(batched.caches[b] == single.cache, "\(variant) round \(round): cache of sequence \(b)")
                separate[b] = single.cache
            }
            caches = batched.caches
        }
    }
}
