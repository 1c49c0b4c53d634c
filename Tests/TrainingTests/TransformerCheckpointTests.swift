import DecodingCosts
import FastTraining
import Foundation
import RetNetModel
import SafeTensors
import Testing
import Training
import Transformer

/// A Transformer run's checkpoint read back (`TrainingCheckpoint.load(_:from:)`), resumed, and
/// refused when its files do not fit together.
@Suite struct TransformerCheckpointTests {
    typealias Model = Transformer<Float>

    static func trainer(iterations: Int = 7, threads: Int = 1) throws -> Trainer<Model> {
        try Trainer(model: TransformerTrainingTests.transformer(), corpus: TinyModel.corpus(),
                    configuration: TinyModel.settings(iterations: iterations), source: FastTransformerGradients(threads: threads))
    }

    /// The files of a checkpoint directory, by name.
    static func files(_ directory: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            out[name] = try Data(contentsOf: directory.appendingPathComponent(name))
        }
        return out
    }

    /// load(save(x)) == x: the weights bit for bit, the moments, the history, the settings and the
    /// tokenizer; and the loaded run, saved again, writes the same bytes.
    @Test func aCheckpointRoundTrips() throws {
        let directory = TinyModel.scratch("transformer-roundtrip"), again = TinyModel.scratch("transformer-again")
        defer { for url in [directory, again] { try? FileManager.default.removeItem(at: url) } }
        var trainer = try Self.trainer(iterations: 4)
        try trainer.run()
        try TrainingCheckpoint.save(trainer, to: directory)
        #expect(TrainingCheckpoint.holds(Model.self, in: directory) && !TrainingCheckpoint.holds(RetNet<Float>.self, in: directory))
        let loaded = try TrainingCheckpoint.load(Model.self, from: directory)
        #expect(loaded.model == trainer.model)
        for (got, saved) in zip(loaded.model.parameters, trainer.model.parameters) {
            #expect(got.name == saved.name && got.shape == saved.shape)
            #expect(got.values.map(\.bitPattern) == saved.values.map(\.bitPattern), "\(saved.name)")
        }
        #expect(loaded.model.parameters.count == trainer.model.parameters.count)
        #expect(loaded.optimizer == trainer.optimizer)
        #expect(loaded.optimizer.step == 4)
        #expect(loaded.history == trainer.history)
        #expect(loaded.history.map(\.step) == [0, 3, 4])
        #expect(loaded.configuration == trainer.configuration)
        #expect(loaded.tokenizer == trainer.corpus.tokenizer)
        let resumed = try Trainer(resuming: loaded, text: String(TinyShakespeare.text().prefix(20_000)),
                                  source: FastTransformerGradients())
        try TrainingCheckpoint.save(resumed, to: again)
        let (first, second) = (try Self.files(directory), try Self.files(again))
        #expect(first.keys.sorted() == ["model.safetensors", "optimizer.safetensors", "tokenizer.json", "training.json", "transformer.json"])
        #expect(first == second)
    }

    /// Stopped after 3 of 7 steps (its last checkpoint), then resumed on 2 threads: the same
    /// losses, weights, moments and evaluations as the run that never stopped.
    @Test func aResumedRunEndsBitIdentical() throws {
        let directory = TinyModel.scratch("transformer-resume")
        defer { try? FileManager.default.removeItem(at: directory) }
        var whole = try Self.trainer()
        var wholeRecords: [StepRecord] = []
        try whole.run(stepped: { wholeRecords.append($0) })
        var first = try Self.trainer()
        try first.run(stopAfter: 3, evaluated: { trainer, _ throws(TrainingError) in try TrainingCheckpoint.save(trainer, to: directory) })
        var resumed = try Trainer(resuming: TrainingCheckpoint.load(Model.self, from: directory),
                                  text: String(TinyShakespeare.text().prefix(20_000)), source: FastTransformerGradients(threads: 2))
        #expect(resumed.step == 3)
        var records: [StepRecord] = []
        try resumed.run(stepped: { records.append($0) })
        #expect(wholeRecords.count == 7)
        #expect(records.map(\.loss.bitPattern) == wholeRecords[3...].map(\.loss.bitPattern))
        #expect(resumed.model == whole.model)
        #expect(resumed.optimizer == whole.optimizer)
        #expect(resumed.history == whole.history)
        // The steps moved the weights: a resume that lost them would not match.
        #expect(whole.model != first.model)
    }

    /// A checkpoint after one step, whose model.safetensors is then rewritten with `change`
    /// applied to its tensors (the step in its metadata kept).
    static func corrupted(_ name: String, _ change: (inout [SafeTensors.Entry]) -> Void) throws -> (URL, Model) {
        let directory = TinyModel.scratch(name)
        var trainer = try Self.trainer()
        try trainer.takeStep()
        try TrainingCheckpoint.save(trainer, to: directory)
        var entries = trainer.model.parameters.map { SafeTensors.Entry(name: $0.name, shape: $0.shape, values: $0.values) }
        change(&entries)
        try SafeTensors.write(entries, metadata: ["format": "pt", "step": "1"], to: directory.appendingPathComponent("model.safetensors"))
        return (directory, trainer.model)
    }

    @Test func aMissingWeightIsRefused() throws {
        let fc2 = "layers.0.ffn.fc2.weight"
        let (directory, model) = try Self.corrupted("transformer-missing") { $0.removeAll { $0.name == fc2 } }
        defer { try? FileManager.default.removeItem(at: directory) }
        let shape = try #require(model.parameters.first { $0.name == fc2 }).shape
        #expect(throws: TrainingError.checkpoint(path: directory.path, reason: "model.safetensors has no '\(fc2)' (a tensor of shape \(shape))")) {
            try TrainingCheckpoint.load(Model.self, from: directory)
        }
    }

    /// A weight stored transposed has the right number of values and the wrong shape: refused,
    /// not read in the wrong order.
    @Test func aWeightOfAnotherShapeIsRefused() throws {
        let name = "layers.0.ffn.fc1.weight"
        let (directory, model) = try Self.corrupted("transformer-shape") { entries in
            entries = entries.map { $0.name == name ? SafeTensors.Entry(name: name, shape: $0.shape.reversed(), values: $0.values) : $0 }
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        let shape = try #require(model.parameters.first { $0.name == name }).shape
        #expect(shape.count == 2 && shape[0] != shape[1])
        #expect(throws: TrainingError.checkpoint(path: directory.path, reason: "model.safetensors: '\(name)' has shape \(Array(shape.reversed())), "
                                                 + "the configuration's is \(shape)")) {
            try TrainingCheckpoint.load(Model.self, from: directory)
        }
    }

    /// `with(parameters:)` itself refuses a transposed weight: the right number of values in
    /// the wrong shape.
    @Test func withParametersRefusesATransposedWeight() throws {
        let model = try Transformer<Float>.random(config: TransformerConfig(matching: TinyModel.config()), seed: 3)
        var parameters = model.parameters
        guard let index = parameters.firstIndex(where: { $0.shape.count == 2 && $0.shape[0] != $0.shape[1] }) else {
            Issue.record("no rectangular weight")
            return
        }
        let p = parameters[index]
        #expect(try model.with(parameters: parameters) == model)
        parameters[index] = NamedTensor(name: p.name, shape: [p.shape[1], p.shape[0]], values: p.values)
        do {
            _ = try model.with(parameters: parameters)
            Issue.record("a transposed \(p.name) was taken")
        } catch {
            guard case .weight(let field, _, _) = error else { throw error }
            #expect(field == p.name)
        }
    }

    @Test func aWeightTheModelHasNotIsRefused() throws {
        let (directory, _) = try Self.corrupted("transformer-extra") {
            $0.append(SafeTensors.Entry(name: "layers.1.attention.q_proj.weight", shape: [8, 8], values: Array(repeating: 0, count: 64)))
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: TrainingError.checkpoint(path: directory.path, reason: "model.safetensors holds 'layers.1.attention.q_proj.weight', "
                                                 + "which the Transformer of transformer.json has not")) {
            try TrainingCheckpoint.load(Model.self, from: directory)
        }
    }

    /// As if the renames had stopped after the weights: new weights, old state.
    @Test func filesOfDifferentStepsAreRefused() throws {
        let early = TinyModel.scratch("transformer-early"), late = TinyModel.scratch("transformer-late")
        defer { for url in [early, late] { try? FileManager.default.removeItem(at: url) } }
        var trainer = try Self.trainer()
        try trainer.takeStep()
        try TrainingCheckpoint.save(trainer, to: early)
        try trainer.takeStep()
        try TrainingCheckpoint.save(trainer, to: late)
        #expect(try TrainingCheckpoint.load(Model.self, from: early).optimizer.step == 1)
        let weights = early.appendingPathComponent("model.safetensors")
        try FileManager.default.removeItem(at: weights)
        try FileManager.default.copyItem(at: late.appendingPathComponent("model.safetensors"), to: weights)
        #expect(throws: TrainingError.checkpoint(path: early.path, reason: "model.safetensors is from step 2, training.json from step 1 "
                                                 + "(a write was cut short)")) {
            try TrainingCheckpoint.load(Model.self, from: early)
        }
    }

    /// A configuration that is not one, or the other model's loader: a typed error, no trap.
    @Test func aConfigurationThatDoesNotFitIsRefused() throws {
        let (directory, model) = try Self.corrupted("transformer-config") { _ in }
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try TrainingCheckpoint.load(Model.self, from: directory).model == model)
        let configuration = directory.appendingPathComponent("transformer.json")
        // Another vocabulary: every shape the checkpoint holds is checked against it.
        var other = model.config
        other.vocabSize += 1
        try JSONEncoder().encode(other).write(to: configuration)
        #expect(throws: TrainingError.checkpoint(path: directory.path, reason: "model.safetensors: 'embed_tokens.weight' has shape "
                                                 + "[65, 8], the configuration's is [66, 8]")) {
            try TrainingCheckpoint.load(Model.self, from: directory)
        }
        // A configuration far larger than the file: refused before a model of its size is built.
        other = model.config
        other.vocabSize = 1 << 40
        try JSONEncoder().encode(other).write(to: configuration)
        do {
            _ = try TrainingCheckpoint.load(Model.self, from: directory)
            Issue.record("a configuration of 2⁴⁰ tokens was read")
        } catch {
            guard case .checkpoint(_, let reason) = error else { throw error }
            let stored = model.parameters.reduce(0) { $0 + $1.values.count }
            #expect(reason.hasPrefix("transformer.json implies ") && reason.hasSuffix(" weights, model.safetensors holds \(stored)"), "\(reason)")
        }
        other = model.config
        other.heads = 3
        try JSONEncoder().encode(other).write(to: configuration)
        #expect(throws: TrainingError.transformer(.config(field: "heads", expected: "a divisor of embed_dim = 8 and value_embed_dim = 8",
                                                          got: "3"))) {
            try TrainingCheckpoint.load(Model.self, from: directory)
        }
        try Data("{}".utf8).write(to: configuration)
        do {
            _ = try TrainingCheckpoint.load(Model.self, from: directory)
            Issue.record("an empty transformer.json was read")
        } catch {
            guard case .checkpoint(let path, let reason) = error else { throw error }
            #expect(path == directory.path && reason.hasPrefix("transformer.json: "), "\(reason)")
        }
        // A Transformer's directory is not a torchscale checkpoint.
        do {
            _ = try TrainingCheckpoint.load(from: directory)
            Issue.record("a Transformer's checkpoint was read as a RetNet's")
        } catch {
            guard case .torchscale = error else { throw error }
        }
    }

    /// The count the loader checks a configuration by, against the models' own count, for both
    /// variants' norms and FFNs.
    @Test func theWeightCountOfAConfigurationIsTheModels() throws {
        let variants = [TinyModel.config(),
                        RetNetConfig(variant: .paper, embedDim: 12, valueEmbedDim: 24, retentionHeads: 3, ffnEmbedDim: 20, layers: 2,
                                     vocabSize: 30)]
        for retnet in variants {
            let config = TransformerConfig(matching: retnet)
            let model = try Model.random(config: config, seed: 1)
            #expect(Model.weightCount(config) == Double(model.parameterCount), "\(config)")
            #expect(model.parameterCount == model.parameters.reduce(0) { $0 + $1.values.count })
        }
    }
}
