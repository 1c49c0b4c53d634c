import Foundation
import RetNetModel
import Training

/// A RetNet small enough to train for a few steps in a debug build, over tiny Shakespeare's
/// 65 characters, and the settings of a short run.
enum TinyModel {
    static func config(vocabulary: Int = 65) -> RetNetConfig {
        RetNetConfig(variant: .torchscale, embedDim: 8, valueEmbedDim: 8, retentionHeads: 2, ffnEmbedDim: 16, layers: 1,
                     vocabSize: vocabulary)
    }

    static func model(seed: UInt64 = 7) throws -> RetNet<Float> {
        try RetNet<Float>.random(config: config(), seed: seed)
    }

    static func settings(iterations: Int = 6) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.iterations = iterations
        c.batchSize = 3
        c.context = 8
        c.warmupIterations = 2
        c.learningRate = 1e-2
        c.minLearningRate = 1e-3
        c.evalInterval = 3
        c.evalIterations = 1
        c.seed = 42
        return c
    }

    /// The first 20,000 characters of the shipped text with the whole text's tokenizer.
    static func corpus() throws -> Corpus {
        let text = try TinyShakespeare.text()
        let tokenizer = try CharacterTokenizer(text: text)
        return try Corpus(text: String(text.prefix(20_000)), tokenizer: tokenizer)
    }

    /// A fresh directory under the temporary folder (not created).
    static func scratch(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("training-tests-\(name)-\(UUID().uuidString)")
    }
}
