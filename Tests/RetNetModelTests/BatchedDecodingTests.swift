import Matrices
import RetNetModel
import TestSupport
import Testing

@Suite("Batched RetNet decoding")
struct BatchedDecodingTests {
    @Test("B sequences at different positions, one step each: bit for bit the B separate steps",
          arguments: [RetNetConfig.Variant.paper, .torchscale])
    func batchedEqualsSeparate(variant: RetNetConfig.Variant) throws {
        let model = try tinyModel(variant, eps: 1e-6)
        // Prompts of different lengths (0 included), so the batch mixes positions.
        let prompts = [[], [3, 1], [4, 1, 5, 9, 2], [3, 1]]
        var states = try prompts.map { prompt throws(RetNetError) in
            try model.prefill(prompt, form: .parallel).state
        }
        var separate = states
        for round in 0..<4 {
            let next = prompts.indices.map { b in (7 * b + 3 * round + 1) % tinyVocabulary }
            let batched = try model.step(next, states: states)
            for b in prompts.indices {
                let single = try model.step(next[b], state: separate[b])
                #expect(batched.logits.row(b).storage.map(\.bitPattern) == single.logits.storage.map(\.bitPattern),
                        "\(variant) round \(round): logits of sequence \(b)")
                #expect(batched.states[b] == single.state, "\(variant) round \(round): state of sequence \(b)")
                separate[b] = single.state
            }
            states = batched.states
        }
    }

    @Test("Bad batches are typed errors")
    func errors() throws {
        let model = try tinyModel(.torchscale)
        let empty = model.emptyState()
        #expect(throws: RetNetError.self) { try model.step([1, 2], states: [empty]) }
        #expect(throws: RetNetError.self) { try model.step([], states: []) }
        #expect(throws: RetNetError.token(position: 1, id: -1, vocabularySize: tinyVocabulary)) {
            try model.step([1, -1], states: [empty, empty])
        }
        let other = try RetNet<Double>.random(config: RetNetConfig(variant: .torchscale, embedDim: 8, valueEmbedDim: 8, retentionHeads: 2,
                                                                    ffnEmbedDim: 10, layers: 2, vocabSize: tinyVocabulary), seed: 1)
        #expect(throws: RetNetError.self) { try model.step([1, 2], states: [empty, other.emptyState()]) }
    }
}
