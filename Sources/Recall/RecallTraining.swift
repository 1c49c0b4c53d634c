import FastTraining
import RetNetModel
import Training
import Transformer

/// The settings of one training run on a recall task: AdamW with nanoGPT's defaults (β₂ 0.99,
/// λ 0.1, clip 1), a linear warm-up over the first tenth of the steps to `learningRate`, then a
/// cosine to a tenth of it.
public struct RecallSettings: Sendable, Equatable, Codable {
    public var steps: Int
    public var batchSize: Int
    public var learningRate: Double
    /// The seed of the initial weights (the task has its own).
    public var seed: UInt64
    /// Examples the accuracy is measured on (batches the training never draws).
    public var evaluationExamples: Int
    public var threads: Int

    public init(steps: Int, batchSize: Int, learningRate: Double, seed: UInt64 = 13, evaluationExamples: Int = 256, threads: Int = 2) {
        (self.steps, self.batchSize, self.learningRate, self.seed) = (steps, batchSize, learningRate, seed)
        (self.evaluationExamples, self.threads) = (evaluationExamples, threads)
    }

    /// The trainer's configuration of these settings (its corpus-only fields unused). Throws
    /// `.setting` for steps, batch or evaluation size outside 1 … 100,000, or a rate the schedule refuses.
    func configuration() throws(RecallError) -> TrainingConfiguration {
        for (name, value) in [("steps", steps), ("batch size", batchSize), ("evaluation examples", evaluationExamples)]
            where !(1...100_000).contains(value) {
            throw .setting(name: name, expected: "1 … 100,000", got: "\(value)")
        }
        var c = TrainingConfiguration()
        (c.iterations, c.batchSize, c.learningRate, c.minLearningRate) = (steps, batchSize, learningRate, learningRate / 10)
        (c.warmupIterations, c.seed) = (steps / 10, seed)
        do { try c.validate() } catch { throw .setting(name: "learning rate", expected: "a finite rate > 0", got: "\(learningRate)") }
        return c
    }
}

/// What one run reached: the model, its size, the task, and its accuracy on the held-out examples.
public struct RecallResult: Sendable, Equatable, Codable {
    public let model: RecallModel
    public let shape: RecallShape
    public let pairs: Int
    public let learningRate: Double
    public let steps: Int
    /// The fraction of held-out answers predicted exactly.
    public let accuracy: Double
    /// The mean loss at the answers on the held-out examples.
    public let loss: Float
    /// `RecallShape.stateFloats` at the task's length.
    public let stateFloats: Int
}

/// Trains the three models on a recall task with the trainer's parts — the kernels' gradients
/// counted at the answers only (`TaskGradientSource`), `OptimiserStep`'s clipping and AdamW — and
/// measures how many held-out answers each gets right.
public enum RecallTraining {
    /// Trains a fresh `model` of `shape` on `task` and measures it. Throws `.setting` for
    /// settings out of range or a task whose vocabulary is not the shape's.
    public static func run(_ model: RecallModel, shape: RecallShape, task: MQAR, settings: RecallSettings) throws -> RecallResult {
        guard task.vocabulary == shape.vocabulary else {
            throw RecallError.setting(name: "vocabulary", expected: "the model's \(shape.vocabulary)", got: "\(task.vocabulary)")
        }
        let (accuracy, loss) = switch model {
        case .retnet:
            try train(RetNet<Float>.random(config: shape.retnetConfig, seed: settings.seed),
                      source: FastGradients(threads: settings.threads), task: task, settings: settings)
        case .linearAttention, .transformer:
            try train(Transformer<Float>.random(config: shape.transformerConfig(model == .transformer ? .softmax : .linear),
                                                seed: settings.seed),
                      source: FastTransformerGradients(threads: settings.threads), task: task, settings: settings)
        }
        return RecallResult(model: model, shape: shape, pairs: task.pairs, learningRate: settings.learningRate,
                            steps: settings.steps, accuracy: accuracy, loss: loss,
                            stateFloats: shape.stateFloats(model, length: task.length))
    }

    /// `settings.steps` steps from `initial` on batches 0, 1, … of `task`, then the accuracy.
    static func train<Source: TaskGradientSource>(_ initial: Source.Model, source: Source, task: MQAR, settings: RecallSettings)
        throws -> (accuracy: Double, loss: Float)
    {
        let stepper = try OptimiserStep(settings.configuration(), threads: source.threads)
        var model = initial
        var parameters = model.parameters
        var state = AdamW.State(zeroFor: parameters)
        for index in 0..<settings.steps {
            let (sequences, weights) = task.batch(index, size: settings.batchSize)
            let (loss, gradients) = try source.lossAndGradients(model, sequences: sequences, positionWeights: weights)
            _ = try stepper.apply(loss: loss, gradients: gradients.tensors, index: index, model: &model, parameters: &parameters,
                              state: &state)
        }
        return try accuracy(model, source: source, task: task, examples: settings.evaluationExamples)
    }

    /// The fraction of answers `model` predicts exactly, and its mean loss at them, over
    /// `examples` held-out examples: batch numbers −1, −2, … of `task`, which training (batches
    /// 0, 1, …) never draws. Batches of at most 64 examples.
    public static func accuracy<Source: TaskGradientSource>(_ model: Source.Model, source: Source, task: MQAR, examples: Int)
        throws -> (accuracy: Double, loss: Float)
    {
        var (right, asked, lossSum) = (0, 0, 0.0)
        var batch = 0
        while asked < examples * task.queries {
            batch += 1
            let size = min(64, examples - asked / task.queries)
            let (sequences, weights) = task.batch(-batch, size: size)
            let (loss, predictions) = try source.lossAndPredictions(model, sequences: sequences, positionWeights: weights)
            lossSum += Double(loss) * Double(size)
            for (b, sequence) in sequences.enumerated() {
                for (t, w) in weights[b].enumerated() where w > 0 {
                    asked += 1
                    if predictions[b][t] == sequence[t + 1] { right += 1 }
                }
            }
        }
        return (Double(right) / Double(asked), Float(lossSum / Double(examples)))
    }
}
