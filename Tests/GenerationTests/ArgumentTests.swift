import FastRetNet
import FastTransformer
import Generation
import Layers
import Matrices
import RetNetModel
import Testing
import Transformer

/// The loop's checks, written once: each bad argument is the model's own typed error, with the
/// model's own words, for every model.
@Suite struct ArgumentTests {
    /// Every check on `decoder` (vocabulary `vocabulary`): the error each bad argument throws.
    static func expectChecks<D: TokenDecoder>(_ decoder: D, _ name: String) throws where D.Failure: Equatable {
        let v = decoder.vocabularySize
        func expect(_ expected: D.Failure, prompt: [Int] = [1, 2], count: Int = 3, sampler: Sampler = .greedy, context: Int? = nil) {
            #expect(throws: expected, "\(name)") {
                _ = try decoder.generate(prompt: prompt, count: count, sampler: sampler, context: context)
            }
        }
        expect(.argument(name: "prompt", expected: "at least one token", got: "an empty prompt"), prompt: [])
        expect(.argument(name: "count", expected: "a count ≥ 0", got: "-1"), count: -1)
        expect(.argument(name: "context", expected: "a window of at least 1 token", got: "0"), context: 0)
        expect(.argument(name: "context", expected: "a window of at least 1 token", got: "-4"), context: -4)
        for t in [0, -1, .nan, .infinity] {
            expect(.argument(name: "temperature", expected: "a finite T > 0 (use .greedy for T → 0)", got: "\(t)"),
                   sampler: .temperature(t, seed: 1))
        }
        expect(.token(position: 1, id: v, vocabularySize: v), prompt: [1, v])
        expect(.token(position: 0, id: -1, vocabularySize: v), prompt: [-1, 2])
        // The prompt is checked whole, also where the window will not read it, and even for no new tokens.
        expect(.token(position: 0, id: v + 3, vocabularySize: v), prompt: [v + 3, 1, 2, 3], context: 2)
        expect(.token(position: 2, id: v, vocabularySize: v), prompt: [1, 2, v], count: 0)
        // No new tokens: nothing chosen, no logits; the prompt is read.
        let none = try decoder.generate(prompt: [1, 2], count: 0)
        #expect(none.tokens.isEmpty && none.logits.rows == 0 && none.logits.columns == v, "\(name)")
    }

    @Test func theRetNet() throws {
        let model = try tinyRetNet()
        try Self.expectChecks(model.decoding(), "RetNet")
        // What the model itself refuses passes through: a chunk size of 0.
        #expect(throws: RetNetError.layer(0, .head(0, .chunkSize(0)))) {
            try model.generate(prompt: [1, 2], count: 1, prefill: .chunkwise(chunkSize: 0))
        }
    }

    @Test func theRetNetOnTheKernels() throws {
        let (_, fast) = try floatRetNets()
        try Self.expectChecks(fast.decoding(), "FastRetNet")
        #expect(throws: RetNetError.argument(name: "chunk size", expected: "a chunk size B ≥ 1", got: "0")) {
            try fast.generate(prompt: [1, 2], count: 1, prefill: .chunkwise(chunkSize: 0))
        }
    }

    @Test func theTransformer() throws {
        try Self.expectChecks(try tinyTransformer(), "Transformer")
    }

    @Test func theTransformerOnTheKernels() throws {
        try Self.expectChecks(try floatTransformers().fast, "FastTransformer")
    }
}
