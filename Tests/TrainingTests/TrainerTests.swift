import Foundation
import RetNetModel
import Testing
import Training

/// A gradient source that returns what the reference returns, except a NaN loss from step
/// `failAt` on (counted by the batches it sees).
final class FailingSource: GradientSource, @unchecked Sendable {
    let failAt: Int
    private var calls = 0
    init(failAt: Int) { self.failAt = failAt }

    func lossAndGradients(_ model: RetNet<Float>, sequences: [[Int]]) throws(RetNetError)
        -> (loss: Float, gradients: RetNetGradients<Float>)
    {
        defer { calls += 1 }
        let result = try ReferenceGradients().lossAndGradients(model, sequences: sequences)
        return calls >= failAt ? (.nan, result.gradients) : result
    }
}

@Suite struct TrainerTests {
    static func lossBits(_ records: [StepRecord]) -> [UInt32] { records.map(\.loss.bitPattern) }

    static func train(threads: Int, iterations: Int = 6) throws -> (Trainer<RetNet<Float>>, [StepRecord]) {
        var trainer = try Trainer(model: TinyModel.model(), corpus: TinyModel.corpus(),
                                  configuration: TinyModel.settings(iterations: iterations),
                                  source: ReferenceGradients(threads: threads))
        var records: [StepRecord] = []
        try trainer.run(stepped: { records.append($0) })
        return (trainer, records)
    }

    /// `stepped` comes after its step's evaluation, so a progress line can show it: with an
    /// evaluation every 3 of 6 steps, steps 3 and 6 see their own, the others the one before.
    @Test func steppedSeesTheEvaluationOfItsStep() throws {
        var trainer = try Trainer(model: TinyModel.model(), corpus: TinyModel.corpus(), configuration: TinyModel.settings(),
                                  source: ReferenceGradients())
        var lastEvaluated: Int?
        var seen: [Int?] = []
        try trainer.run(stepped: { _ in seen.append(lastEvaluated) },
                        evaluated: { _, evaluation throws(TrainingError) in lastEvaluated = evaluation.step })
        #expect(seen == [0, 0, 3, 3, 3, 6])
    }

    @Test func sameSeedSameBitsOnOneAndTwoThreads() throws {
        let (a, recordsA) = try Self.train(threads: 1)
        let (b, recordsB) = try Self.train(threads: 2)
        #expect(recordsA.count == 6)
        #expect(Self.lossBits(recordsA) == Self.lossBits(recordsB))
        #expect(a.model == b.model)
        #expect(a.history == b.history)
        #expect(a.history.map(\.step) == [0, 3, 6])
        // The loss moved: training did something (the first and last batch differ, but six
        // steps at η = 0.01 from random weights lower the loss on the fixed evaluation batches).
        #expect(a.history.last!.trainLoss < a.history.first!.trainLoss)
    }

    @Test func theMeanOfTheSequencesGradients() throws {
        let model = try TinyModel.model()
        let sequences = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 1]]
        let (loss, gradients) = try ReferenceGradients(threads: 2).lossAndGradients(model, sequences: sequences)
        let each = try sequences.map { try model.gradients($0, form: .parallel, scaling: .exact) }
        let expectedLoss = each.map(\.loss).reduce(0, +) / 3
        #expect(abs(loss - expectedLoss) <= 1e-6 * expectedLoss)
        let got = gradients.named, parts = each.map(\.gradients.named)
        for (t, tensor) in got.enumerated() {
            for j in tensor.values.indices {
                let mean = (parts[0][t].values[j] + parts[1][t].values[j] + parts[2][t].values[j]) / 3
                #expect(abs(tensor.values[j] - mean) <= 1e-6 * max(abs(mean), 1e-3), "\(tensor.name)[\(j)]")
            }
        }
    }

    @Test func nanLossStopsNamingTheStepAndKeepsTheLastCheckpoint() throws {
        let directory = TinyModel.scratch("nan")
        defer { try? FileManager.default.removeItem(at: directory) }
        var trainer = try Trainer(model: TinyModel.model(), corpus: TinyModel.corpus(), configuration: TinyModel.settings(),
                                  source: FailingSource(failAt: 4))
        do {
            try trainer.run(evaluated: { trainer, _ throws(TrainingError) in try TrainingCheckpoint.save(trainer, to: directory) })
            Issue.record("a NaN loss did not stop the run")
        } catch {
            // NaN ≠ NaN, so the case is matched by its parts.
            guard case .nonFinite(let what, let step, let value) = error else { throw error }
            #expect(what == "training loss" && step == 4 && value.isNaN)
            #expect("\(error)" == "the training loss is NaN at step 4: training stopped")
        }
        #expect(trainer.step == 4)  // steps 0–3 taken; step 4's NaN changed nothing
        let saved = try TrainingCheckpoint.load(from: directory)
        #expect(saved.optimizer.step == 3)  // the checkpoint of the last evaluation, before the NaN
        do {
            try trainer.run()
            Issue.record("a NaN loss did not stop the run")
        } catch {
            #expect("\(error)".contains("at step 4"), "\(error)")
        }
    }

    @Test func checkpointReloadsToTheSameLogitsInTorchscaleLoader() throws {
        let directory = TinyModel.scratch("roundtrip")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (trainer, _) = try Self.train(threads: 1, iterations: 2)
        try TrainingCheckpoint.save(trainer, to: directory)
        let loaded = try TrainingCheckpoint.load(from: directory)
        let tokens = try trainer.corpus.tokenizer.encode("ROMEO:\nO, she")
        #expect(try loaded.model.logits(tokens) == trainer.model.logits(tokens))
        #expect(loaded.model == trainer.model)
        #expect(loaded.tokenizer == trainer.corpus.tokenizer)
        #expect(loaded.optimizer == trainer.optimizer)
        #expect(loaded.configuration == trainer.configuration)
        #expect(loaded.history == trainer.history)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(files == ["config.json", "model.safetensors", "optimizer.safetensors", "tokenizer.json", "training.json"])
    }

    @Test func resumedRunEndsBitIdentical() throws {
        let directory = TinyModel.scratch("resume")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (whole, wholeRecords) = try Self.train(threads: 1, iterations: 7)
        // Interrupted after 3 steps (its last checkpoint), then resumed on 2 threads.
        var first = try Trainer(model: TinyModel.model(), corpus: TinyModel.corpus(), configuration: TinyModel.settings(iterations: 7),
                                source: ReferenceGradients())
        try first.run(stopAfter: 3, evaluated: { trainer, _ throws(TrainingError) in try TrainingCheckpoint.save(trainer, to: directory) })
        var resumed = try Trainer(resuming: TrainingCheckpoint.load(from: directory), text: String(TinyShakespeare.text().prefix(20_000)),
                                  source: ReferenceGradients(threads: 2))
        #expect(resumed.step == 3)
        var records: [StepRecord] = []
        try resumed.run(stepped: { records.append($0) })
        #expect(Self.lossBits(records) == Self.lossBits(Array(wholeRecords[3...])))
        #expect(resumed.model == whole.model)
        #expect(resumed.optimizer == whole.optimizer)
        #expect(resumed.history == whole.history)
    }

    @Test func directoriesThatAreNotCheckpointsAreRefused() throws {
        let directory = TinyModel.scratch("foreign")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let notes = directory.appendingPathComponent("notes.txt")
        try Data("mine".utf8).write(to: notes)
        let (trainer, _) = try Self.train(threads: 1, iterations: 1)
        #expect(throws: TrainingError.notACheckpoint(path: directory.path, found: ["notes.txt"])) {
            try TrainingCheckpoint.save(trainer, to: directory)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["notes.txt"])
        #expect(try String(contentsOf: notes, encoding: .utf8) == "mine")
    }

    @Test func filesOfDifferentStepsAreRefused() throws {
        let early = TinyModel.scratch("early"), late = TinyModel.scratch("late")
        defer { for url in [early, late] { try? FileManager.default.removeItem(at: url) } }
        var trainer = try Trainer(model: TinyModel.model(), corpus: TinyModel.corpus(), configuration: TinyModel.settings(),
                                  source: ReferenceGradients())
        try trainer.takeStep()
        try TrainingCheckpoint.save(trainer, to: early)
        try trainer.takeStep()
        try TrainingCheckpoint.save(trainer, to: late)
        // As if the renames had stopped after the weights: new weights, old state.
        let weights = early.appendingPathComponent("model.safetensors")
        try FileManager.default.removeItem(at: weights)
        try FileManager.default.copyItem(at: late.appendingPathComponent("model.safetensors"), to: weights)
        #expect(throws: TrainingError.checkpoint(path: early.path, reason: "model.safetensors is from step 2, training.json from step 1 "
                                                 + "(a write was cut short)")) {
            try TrainingCheckpoint.load(from: early)
        }
    }

    @Test func badRunSettingsAreRefused() throws {
        let corpus = try TinyModel.corpus(), model = try TinyModel.model()
        func refuse(_ change: (inout TrainingConfiguration) -> Void) {
            var settings = TinyModel.settings()
            change(&settings)
            #expect(throws: TrainingError.self) { try Trainer(model: model, corpus: corpus, configuration: settings, source: ReferenceGradients()) }
        }
        refuse { $0.batchSize = 0 }
        refuse { $0.learningRate = 0 }
        refuse { $0.learningRate = -1e-3 }
        refuse { $0.context = 30_000 }  // longer than the data
        refuse { $0.iterations = 0 }
        refuse { $0.gradientClip = -1 }
        let wrongVocabulary = try RetNet<Float>.random(config: TinyModel.config(vocabulary: 10), seed: 1)
        #expect(throws: TrainingError.self) {
            try Trainer(model: wrongVocabulary, corpus: corpus, configuration: TinyModel.settings(), source: ReferenceGradients())
        }
    }

    @Test func threadCountsOutsideTheBoundsAreRefused() throws {
        #expect(throws: RetNetError.argument(name: "threads", expected: "a thread count ≥ 1", got: "0")) {
            try ReferenceGradients(threads: 0)
        }
        #expect(throws: RetNetError.argument(name: "threads", expected: "a thread count ≤ 256", got: "257")) {
            try ReferenceGradients(threads: 257)
        }
        #expect(try ReferenceGradients(threads: 256).threads == 256)
    }
}
