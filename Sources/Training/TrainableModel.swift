import Foundation
import RetNetModel
import Transformer

/// What the trainer needs of a model, so that a RetNet and its Transformer baseline are trained
/// by the same code — the same batches, optimiser, schedule, clipping and evaluations:
/// its weights by name (what AdamW updates), the model with new weights, its mean loss on
/// evaluation sequences, and the files of its checkpoint, written and read back.
public protocol TrainableModel: Sendable, Equatable {
    /// What the model throws when it refuses weights or tokens (`RetNetError`, `TransformerError`).
    associatedtype Failure: TrainingErrorConvertible
    /// The number of token ids the model reads (must be the tokenizer's).
    var vocabularySize: Int { get }
    /// The sizes that decide what training the model costs in memory (`TrainingMemory`).
    var trainingShape: TrainingShape { get }
    /// Every weight under its checkpoint name, in the order of its gradients' names.
    var parameters: [NamedTensor] { get }
    /// The same model with every weight replaced by the tensor of its name in `parameters`.
    func with(parameters: [NamedTensor]) throws(Failure) -> Self
    /// The mean next-token loss over `sequences` (each of the same length ≥ 2), forward only,
    /// read once in order (an evaluation's sequences are drawn as they are read: `SampledSequences`).
    func meanLoss<Sequences: Sequence<[Int]>>(_ sequences: Sequences) throws(Failure) -> Float
    /// The model's own files of a checkpoint (weights and configuration), each a name and its bytes.
    func checkpointFiles(metadata: [String: String]) throws(TrainingError) -> [(name: String, data: Data)]
    /// The file of `checkpointFiles` that holds the model's configuration: which of these files a
    /// checkpoint directory holds tells which model it is.
    static var configurationFile: String { get }
    /// The model `checkpointFiles` wrote to `directory`, and the metadata of its weights file
    /// (where the step it belongs to is kept). Throws, never traps, for a missing or malformed
    /// file, a weight missing, left over or of another shape.
    static func loadCheckpoint(from directory: URL) throws(TrainingError) -> (model: Self, metadata: [String: String])
}

/// Gradients the trainer can read: one `NamedTensor` per weight, named and ordered as the
/// model's `parameters`.
public protocol NamedGradients {
    var tensors: [NamedTensor] { get }
}

/// An error a model or a gradient source throws, as the trainer reports it: each model's own
/// error type says which case of `TrainingError` carries it, so the trainer converts without a
/// cast and without a catch-all.
public protocol TrainingErrorConvertible: Error {
    var trainingError: TrainingError { get }
}

extension TrainingError: TrainingErrorConvertible {
    public var trainingError: TrainingError { self }
}

extension RetNetError: TrainingErrorConvertible {
    public var trainingError: TrainingError { .model(self) }
}

extension TransformerError: TrainingErrorConvertible {
    public var trainingError: TrainingError { .transformer(self) }
}

extension RetNetConfig {
    /// This configuration's sizes, for `TrainingMemory`.
    public var trainingShape: TrainingShape {
        TrainingShape(layers: layers, width: embedDim, valueWidth: valueEmbedDim, ffnWidth: ffnEmbedDim,
                      heads: retentionHeads, vocabulary: vocabSize)
    }
}

extension TransformerConfig {
    /// This configuration's sizes, for `TrainingMemory`.
    public var trainingShape: TrainingShape {
        TrainingShape(layers: layers, width: embedDim, valueWidth: valueEmbedDim, ffnWidth: ffnEmbedDim,
                      heads: heads, vocabulary: vocabSize)
    }
}
