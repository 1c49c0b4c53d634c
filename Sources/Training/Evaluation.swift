/// The mean loss on the fixed evaluation batches of each split after `step` optimiser steps.
public struct Evaluation: Sendable, Equatable, Codable {
    public let step: Int
    public let trainLoss: Float
    public let validationLoss: Float

    public init(step: Int, trainLoss: Float, validationLoss: Float) {
        (self.step, self.trainLoss, self.validationLoss) = (step, trainLoss, validationLoss)
    }

    enum CodingKeys: String, CodingKey {
        case step
        case trainLoss = "train_loss"
        case validationLoss = "val_loss"
    }
}

/// What one optimiser step did.
public struct StepRecord: Sendable, Equatable {
    /// The step's index (0-based): the number of steps taken before it.
    public let step: Int
    /// The batch's mean loss before the update.
    public let loss: Float
    /// The learning rate used.
    public let learningRate: Double
    /// The global gradient norm before clipping.
    public let gradientNorm: Double
}
