import Recall
import Testing

@Suite("Recall training: the three models learn a tiny task; sizes and settings checked")
struct RecallTrainingTests {
    @Test("The Transformer learns one pair's recall; state sizes are L·E²/h and the KV cache")
    func learnsAndCounts() throws {
        let task = try MQAR(vocabulary: 16, length: 12, pairs: 1, seed: 4)
        let shape = try RecallShape(width: 16, heads: 2, vocabulary: 16)
        let before = try RecallTraining.run(.transformer, shape: shape, task: task,
                                            settings: RecallSettings(steps: 1, batchSize: 8, learningRate: 1e-2, threads: 1))
        let after = try RecallTraining.run(.transformer, shape: shape, task: task,
                                           settings: RecallSettings(steps: 150, batchSize: 8, learningRate: 1e-2, threads: 1))
        // Chance is 1/8 (a value is one of 8 tokens); learned, the answer is the token after the only key.
        #expect(before.accuracy < 0.4, "untrained: \(before.accuracy)")
        #expect(after.accuracy > 0.9, "trained: \(after.accuracy)")
        #expect(after.loss < before.loss)
        #expect(shape.stateFloats(.retnet, length: 8) == 2 * 16 * 16 / 2)
        #expect(shape.stateFloats(.linearAttention, length: 8) == 256)
        #expect(shape.stateFloats(.transformer, length: 12) == 2 * 12 * 32)
    }

    @Test("A task of another vocabulary, a width of 10⁹ or no steps are refused")
    func refusals() throws {
        let task = try MQAR(vocabulary: 32, length: 8, pairs: 2)
        let shape = try RecallShape(width: 16, vocabulary: 16)
        #expect(throws: RecallError.self) {
            _ = try RecallTraining.run(.retnet, shape: shape, task: task, settings: RecallSettings(steps: 1, batchSize: 1, learningRate: 1e-3))
        }
        #expect(throws: RecallError.setting(name: "width", expected: "2 … 4096", got: "1000000000")) {
            _ = try RecallShape(width: 1_000_000_000, vocabulary: 16)
        }
        #expect(throws: RecallError.self) {
            _ = try RecallTraining.run(.retnet, shape: shape, task: try MQAR(vocabulary: 16, length: 8, pairs: 2),
                                       settings: RecallSettings(steps: 0, batchSize: 1, learningRate: 1e-3))
        }
    }
}
