import FastTraining
import RetNetModel
import Transformer

/// A gradient source for a task whose loss counts some positions only (associative recall's
/// answers): the loss Σ w·ℓ / Σ w with one weight per prediction, its gradients, and the model's
/// predictions for measuring accuracy. `FastGradients` and `FastTransformerGradients` are such
/// sources (the RetNet; the Transformer, softmax or linear attention).
public protocol TaskGradientSource<Model>: GradientSource {
    /// The weighted loss (per sequence, one weight per prediction) and its gradients.
    func lossAndGradients(_ model: Model, sequences: [[Int]], positionWeights: [[Float]]) throws(Failure)
        -> (loss: Float, gradients: Gradients)
    /// The weighted loss (the mean when nil) and the model's prediction after each of the first T tokens.
    func lossAndPredictions(_ model: Model, sequences: [[Int]], positionWeights: [[Float]]?) throws(Failure)
        -> (loss: Float, predictions: [[Int]])
}

extension FastGradients: TaskGradientSource {}
extension FastTransformerGradients: TaskGradientSource {}
