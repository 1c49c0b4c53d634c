import Foundation
import Matrices
import RetNetModel
import SafeTensors

/// A training checkpoint: one directory that is both a torchscale 0.3.0 checkpoint and a run
/// that can be resumed.
///
///     config.json          the model's RetNetConfig (torchscale's keys)
///     model.safetensors    the weights under torchscale's state-dict names, F32, with the
///                          retnet_rel_pos.angle and .decay buffers torchscale keeps
///     tokenizer.json       the character vocabulary: {"kind": "characters", "vocabulary": [...]}
///     optimizer.safetensors AdamW's moments, "exp_avg.<name>" and "exp_avg_sq.<name>" (PyTorch's names)
///     training.json        the step, the settings (schedule, seed, ...), the batch generator's
///                          position and the next learning rate, and the evaluations so far
///
/// `TorchscaleCheckpoint` (and `retnet logits|generate|inspect`) loads the directory as it
/// loads one torchscale wrote. The batch generator's state is (seed, step) — batch k is drawn
/// from those alone (`BatchSampler`) — and the schedule's position is the step, so the settings
/// and the step are all a resumed run needs besides the weights and the moments.
///
/// A Transformer run's directory (`retnet train --model transformer`) holds transformer.json (its
/// `TransformerConfig`) and model.safetensors under this project's names in place of config.json
/// and torchscale's (`TrainableModel.checkpointFiles`); `load(_:from:)` reads either back, and
/// which of the two configuration files a directory holds tells which model it is
/// (`holds(_:in:)`).
public enum TrainingCheckpoint {
    /// What a checkpoint holds.
    public struct Contents<Model: TrainableModel>: Sendable {
        public let model: Model
        public let tokenizer: CharacterTokenizer
        public let configuration: TrainingConfiguration
        public let optimizer: AdamW.State
        public let history: [Evaluation]

        /// The same run set to end at step `iterations` (more than it had): the cosine is laid
        /// again over the longer run, so from the step reached the learning rate is the new
        /// schedule's (it rises from the old minimum to the new cosine's value there). Throws
        /// `.setting` unless `iterations` is more than the run's.
        public func extended(to iterations: Int) throws(TrainingError) -> Self {
            guard iterations > configuration.iterations else {
                throw .setting(name: "--extend-to", expected: "more than the run's \(configuration.iterations) steps",
                               got: "\(iterations)")
            }
            var longer = configuration
            longer.iterations = iterations
            try longer.validate()
            return Contents(model: model, tokenizer: tokenizer, configuration: longer, optimizer: optimizer, history: history)
        }
    }

    /// The record in training.json. `batches` and `learningRate` spell out the generator's state
    /// and the schedule's position, which the step and the settings determine (checked on load).
    struct Record: Codable {
        var format = "retnet-training-checkpoint"
        var step: Int
        var configuration: TrainingConfiguration
        var batches: BatchPosition
        var learningRate: Double
        var history: [Evaluation]

        enum CodingKeys: String, CodingKey {
            case format, step, configuration, batches, history
            case learningRate = "next_learning_rate"
        }
    }

    /// The batch generator's state: batch `next` is drawn from (seed, next) alone.
    struct BatchPosition: Codable, Equatable {
        var seed: UInt64
        var next: Int
    }

    /// Writes the trainer's model, tokenizer, optimiser state and settings to `directory`
    /// (created when missing; see `CheckpointDirectory` for how it is written and what is refused).
    /// The model's own files are `TrainableModel.checkpointFiles`: for a RetNet a torchscale
    /// checkpoint (only the torchscale variant is saved: that is the model torchscale can load).
    public static func save<Model>(_ trainer: Trainer<Model>, to directory: URL) throws(TrainingError) {
        let step = trainer.step
        let metadata = ["format": "pt", "step": "\(step)"]
        let moments = trainer.optimizer.firstMoments.map { SafeTensors.Entry(name: "exp_avg.\($0.name)", shape: $0.shape, values: $0.values) }
            + trainer.optimizer.secondMoments.map { SafeTensors.Entry(name: "exp_avg_sq.\($0.name)", shape: $0.shape, values: $0.values) }
        let files: [(name: String, data: Data)]
        do {
            let json = JSONEncoder()
            json.outputFormatting = [.prettyPrinted, .sortedKeys]
            files = try trainer.model.checkpointFiles(metadata: metadata) + [
                ("optimizer.safetensors", try SafeTensors.encode(moments, metadata: metadata)),
                ("tokenizer.json", try json.encode(trainer.corpus.tokenizer)),
                (CheckpointDirectory.marker, try json.encode(Record(
                    step: step, configuration: trainer.configuration, batches: BatchPosition(seed: trainer.configuration.seed, next: step),
                    learningRate: try trainer.configuration.schedule().rate(at: step), history: trainer.history))),
            ]
        } catch let error as TrainingError {
            throw error
        } catch {
            throw .checkpoint(path: directory.path, reason: "cannot encode: \(error)")
        }
        try CheckpointDirectory.write(files, to: directory)
    }

    /// Throws `.notACheckpoint` when `directory` exists, is not empty and is not a training
    /// checkpoint: a directory `save` would refuse. Writes nothing.
    public static func checkWritable(_ directory: URL) throws(TrainingError) {
        try CheckpointDirectory.check(directory)
    }

    /// Takes the exclusive lock of `directory` for a run that writes into it (creating it when
    /// missing; refused as `checkWritable` refuses), for as long as the returned handle lives,
    /// and removes temporaries left by processes no longer alive. Throws `.file` with "in use by
    /// pid N" when another process holds it.
    public static func lock(_ directory: URL) throws(TrainingError) -> FileHandle {
        try CheckpointDirectory.lock(directory)
    }

    /// Releases a lock `lock(_:)` took, emptying the lock file first (so that a directory's files
    /// are the same bytes after a run that wrote nothing).
    public static func unlock(_ handle: FileHandle) {
        _ = ftruncate(handle.fileDescriptor, 0)
        _ = flock(handle.fileDescriptor, LOCK_UN)
        try? handle.close()
    }

    /// Runs `body` while no checkpoint is being written, and keeps any write from starting until
    /// it returns: a signal handler stops the process inside it, so a write in progress finishes
    /// (and leaves no temporary file) first.
    public static func betweenWrites<T>(_ body: () throws -> T) rethrows -> T {
        try CheckpointDirectory.writing.withLock(body)
    }

    /// Whether `directory` holds a training checkpoint (its training.json).
    public static func exists(at directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(CheckpointDirectory.marker).path)
    }

    /// The tokenizer of a checkpoint directory, or nil when it has no tokenizer.json.
    public static func tokenizer(in directory: URL) throws(TrainingError) -> CharacterTokenizer? {
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("tokenizer.json").path) else { return nil }
        let data = try CheckpointDirectory.read("tokenizer.json", in: directory)
        do {
            return try JSONDecoder().decode(CharacterTokenizer.self, from: data)
        } catch {
            throw .checkpoint(path: directory.path, reason: "tokenizer.json: \(error)")
        }
    }

    /// Whether the checkpoint in `directory` is of a `Model`: whether it holds that model's
    /// configuration file (`TrainableModel.configurationFile`).
    public static func holds<Model: TrainableModel>(_ model: Model.Type, in directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(model.configurationFile).path)
    }

    /// The settings of a training.json, refused unless every one is in range (`TrainingConfiguration.validate`:
    /// sizes bounded, the warm-up's arithmetic checked) and the batch position and learning rate follow from the step.
    /// Reads no other file and allocates nothing the record's numbers ask for: a hostile training.json is refused here.
    public static func settings(fromTrainingJSON data: Data, path: String = "training.json")
        throws(TrainingError) -> (step: Int, configuration: TrainingConfiguration, history: [Evaluation])
    {
        let record: Record
        do {
            record = try JSONDecoder().decode(Record.self, from: data)
        } catch {
            throw .checkpoint(path: path, reason: "\(CheckpointDirectory.marker): \(JSONMessage.describe(error, data: data))")
        }
        try check(record, in: URL(fileURLWithPath: path))
        return (record.step, record.configuration, record.history)
    }

    /// Throws `.checkpoint` (naming `directory`) unless the record's settings are valid, its step is
    /// not negative, and its batch position and learning rate follow from the step and the settings.
    static func check(_ record: Record, in directory: URL) throws(TrainingError) {
        do {
            try record.configuration.validate()
        } catch {
            throw .checkpoint(path: directory.path, reason: "\(CheckpointDirectory.marker): \(error)")
        }
        guard record.step >= 0,
              record.batches == BatchPosition(seed: record.configuration.seed, next: record.step),
              record.learningRate == (try record.configuration.schedule()).rate(at: record.step)
        else {
            throw .checkpoint(path: directory.path, reason: "\(CheckpointDirectory.marker): the batch position or the learning rate "
                              + "does not follow from the step and the settings")
        }
    }

    /// A RetNet's checkpoint read back: `load(RetNet<Float>.self, from: directory)`.
    public static func load(from directory: URL) throws(TrainingError) -> Contents<RetNet<Float>> {
        try load(RetNet<Float>.self, from: directory)
    }

    /// Reads everything back. Throws `.checkpoint` for a missing or unreadable file, or files of
    /// different steps (renames cut short), and what the model's loader throws
    /// (`TrainableModel.loadCheckpoint`: `.torchscale` for a RetNet).
    public static func load<Model: TrainableModel>(_ kind: Model.Type, from directory: URL) throws(TrainingError) -> Contents<Model> {
        guard exists(at: directory) else {
            throw .checkpoint(path: directory.path, reason: "no \(CheckpointDirectory.marker) (not a training checkpoint)")
        }
        let record: Record
        let data = try CheckpointDirectory.read(CheckpointDirectory.marker, in: directory)
        do {
            record = try JSONDecoder().decode(Record.self, from: data)
        } catch {
            throw .checkpoint(path: directory.path, reason: "\(CheckpointDirectory.marker): \(JSONMessage.describe(error, data: data))")
        }
        try check(record, in: directory)
        let (model, modelMetadata) = try Model.loadCheckpoint(from: directory)
        guard let tokenizer = try tokenizer(in: directory) else {
            throw .checkpoint(path: directory.path, reason: "no tokenizer.json")
        }
        let moments: SafeTensors
        do {
            moments = try SafeTensors(contentsOf: directory.appendingPathComponent("optimizer.safetensors"))
        } catch {
            throw .checkpoint(path: directory.path, reason: "optimizer.safetensors: \(error)")
        }
        for (name, stored) in [("model.safetensors", modelMetadata), ("optimizer.safetensors", moments.metadata)]
        where stored["step"] != "\(record.step)" {
            throw .checkpoint(path: directory.path, reason: "\(name) is from step \(stored["step"] ?? "?"), training.json from step "
                              + "\(record.step) (a write was cut short)")
        }
        func read(_ prefix: String) throws(TrainingError) -> [NamedTensor] {
            var out: [NamedTensor] = []
            for parameter in model.parameters {
                do {
                    let tensor = try moments.tensor(prefix + parameter.name)
                    guard tensor.shape == parameter.shape else {
                        throw TrainingError.checkpoint(path: directory.path, reason: "optimizer.safetensors: \(prefix + parameter.name) "
                                                       + "has shape \(tensor.shape), the weight \(parameter.shape)")
                    }
                    out.append(NamedTensor(name: parameter.name, shape: parameter.shape, values: try moments.finiteFloats(prefix + parameter.name)))
                } catch let error as TrainingError {
                    throw error
                } catch {
                    throw .checkpoint(path: directory.path, reason: "optimizer.safetensors: \(error)")
                }
            }
            return out
        }
        let optimizer = AdamW.State(step: record.step, firstMoments: try read("exp_avg."), secondMoments: try read("exp_avg_sq."))
        return Contents(model: model, tokenizer: tokenizer, configuration: record.configuration, optimizer: optimizer,
                        history: record.history)
    }
}
