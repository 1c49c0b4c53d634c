import FastTraining
import Foundation
import RetNetModel
import TestSupport
import Testing
@testable import Training

/// Every size a training run reads — from a flag or from a training.json — bounded, its
/// arithmetic checked and its memory estimated before anything is allocated: the attempts that
/// once crashed or exhausted the machine are refused with a message and a status below 128.
@Suite struct TrainingBoundsTests {
    /// A short run saved to a fresh directory, and its training.json as a JSON object.
    static func savedRun() throws -> (directory: URL, record: [String: Any]) {
        let directory = TinyModel.scratch("bounds")
        var trainer = try Trainer(model: TinyModel.model(), corpus: TinyModel.corpus(), configuration: TinyModel.settings(iterations: 2),
                                  source: FastGradients())
        try trainer.run(stopAfter: 1, evaluated: { trainer, _ throws(TrainingError) in try TrainingCheckpoint.save(trainer, to: directory) })
        let data = try Data(contentsOf: directory.appendingPathComponent("training.json"))
        return (directory, try #require(JSONSerialization.jsonObject(with: data) as? [String: Any]))
    }

    /// The saved training.json with `key` of its configuration set to `value`.
    static func edited(_ record: [String: Any], _ key: String, _ value: Any) throws -> Data {
        var record = record
        var configuration = try #require(record["configuration"] as? [String: Any])
        configuration[key] = value
        record["configuration"] = configuration
        return try JSONSerialization.data(withJSONObject: record)
    }

    /// r-j-warmup-max, r-j-evaliters-huge, r-j-bs1e9 and a context of 10¹²: each training.json is
    /// refused by name, both read alone and by a whole resume, before the model is read.
    @Test(arguments: [("warmup_iters", Int.max, "warm-up"), ("eval_iters", 1_000_000_000_000, "eval iterations"),
                      ("batch_size", 1_000_000_000, "batch size"), ("block_size", 1_000_000_000_000, "context"),
                      ("batch_size", Int.max, "batch size")])
    func aHostileTrainingJSONIsRefused(key: String, value: Int, name: String) throws {
        let (directory, record) = try Self.savedRun()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = try Self.edited(record, key, value)
        #expect(throws: TrainingError.self) { try TrainingCheckpoint.settings(fromTrainingJSON: data) }
        do {
            _ = try TrainingCheckpoint.settings(fromTrainingJSON: data)
        } catch {
            #expect("\(error)".contains(name) && "\(error)".contains("\(value)"), "\(error)")
        }
        try data.write(to: directory.appendingPathComponent("training.json"))
        let resumed = try ProductRunner.run("retnet", ["train", "--resume", "--out", directory.path])
        #expect(resumed.status == 1, "exit \(resumed.status): \(resumed.stderr)")
        #expect(resumed.stderr.contains(name) && resumed.stderr.contains("training.json"), "\(resumed.stderr)")
    }

    /// A warm-up of Int.max steps: refused by the schedule's checked arithmetic, not a trap.
    @Test func aWarmUpOfIntMaxIsRefused() throws {
        var settings = TinyModel.settings()
        settings.warmupIterations = Int.max
        #expect(throws: TrainingError.self) { try settings.schedule() }
        settings.warmupIterations = Int.max - 1
        #expect(try settings.schedule().decaySteps == Int.max)
    }

    /// BatchSampler.offsets once mapped over 0..<batchSize for any batch size (a segfault at 2⁶³ − 1).
    @Test(arguments: [65_537, Int.max])
    func aBatchSizeBeyondTheBoundIsRefused(batchSize: Int) {
        #expect(throws: TrainingError.self) {
            try BatchSampler(tokens: Array(0..<100), context: 8, batchSize: batchSize, seed: 1)
        }
        #expect(throws: TrainingError.self) {
            try BatchSampler(tokens: Array(0..<100), context: batchSize, batchSize: 1, seed: 1)
        }
    }

    /// The evaluation's sequences are drawn as they are read: the same sequences in the same
    /// order as the batches drawn up front, so the losses are the same bits.
    @Test func evaluationSequencesAreDrawnLazilyAndInOrder() throws {
        let sampler = try BatchSampler(tokens: Array(0..<1000), context: 8, batchSize: 3, seed: 5)
        let lazy = SampledSequences(sampler, batches: 4)
        let upFront = (0..<4).flatMap { sampler.batch($0) }
        #expect(Array(lazy) == upFront)
        let model = try TinyModel.model()
        let tokens = try TinyModel.corpus().train
        let evaluation = try BatchSampler(tokens: tokens, context: 8, batchSize: 3, seed: 9)
        #expect(try model.meanLoss(SampledSequences(evaluation, batches: 3)).bitPattern
                == model.meanLoss((0..<3).flatMap { evaluation.batch($0) }).bitPattern)
    }

    /// t-evaliters1e6: 65,536 evaluation batches of each split once took gigabytes before step 0;
    /// drawn lazily, a trainer with them starts at once.
    @Test func aTrainerWithManyEvaluationBatchesHoldsNoneOfThemUpFront() throws {
        var settings = TinyModel.settings()
        settings.evalIterations = TrainingConfiguration.maximumSize
        let trainer = try Trainer(model: TinyModel.model(), corpus: TinyModel.corpus(), configuration: settings, source: FastGradients())
        #expect(trainer.step == 0)
        settings.evalIterations = TrainingConfiguration.maximumSize + 1
        #expect(throws: TrainingError.self) {
            try Trainer(model: TinyModel.model(), corpus: TinyModel.corpus(), configuration: settings, source: FastGradients())
        }
    }

    /// The estimate from the numbers, term by term, for a shape small enough to count by hand.
    @Test func theMemoryEstimateCountsWeightsAndActivations() throws {
        let shape = TrainingShape(layers: 2, width: 4, valueWidth: 8, ffnWidth: 6, heads: 2, vocabulary: 10)
        // 2·10·4 + 2·(2·16 + 3·32 + 3·24 + 16) = 80 + 2·216 = 512 weights.
        #expect(shape.parameters == 512)
        // T = 3: per sequence 2·3·(32 + 32 + 18) + 2·2·9 + 2·3·10 + 6 = 492 + 36 + 60 + 6 = 594 floats.
        #expect(TrainingMemory.estimate(shape: shape, batchSize: 5, context: 2) == 24 * 512 + 4 * 5 * 594)
        #expect(TrainingMemory.estimate(shape: shape, parameters: 100, batchSize: 5, context: 2) == 24 * 100 + 4 * 5 * 594)
        // Chunks of B = 2: ⌈3/2⌉ = 2 states of d_k·d_v = 2·4 per head, 2 heads, 2 layers (64 floats), and
        // 2·2² scores, in place of the 36 floats of T×T scores: 594 − 36 + 72 = 630.
        #expect(TrainingMemory.estimate(shape: shape, batchSize: 5, context: 2, chunkSize: 2) == 24 * 512 + 4 * 5 * 630)
        // At 65,536 tokens the parallel form's scores are beyond the machine, the chunkwise form's states are not.
        let tiny = TinyModel.config().trainingShape
        #expect(throws: TrainingError.self) { try TrainingMemory.check(shape: tiny, batchSize: 1, context: 65_536) }
        try TrainingMemory.check(shape: tiny, batchSize: 1, context: 65_536, chunkSize: 256)
        let huge = TrainingShape(layers: 65_536, width: 65_536, valueWidth: 131_072, ffnWidth: 131_072, heads: 1, vocabulary: 65)
        #expect(TrainingMemory.estimate(shape: huge, batchSize: 12, context: 64) != nil)
        let beyond = TrainingShape(layers: Int.max, width: Int.max, valueWidth: 1, ffnWidth: 1, heads: 1, vocabulary: 1)
        #expect(TrainingMemory.estimate(shape: beyond, batchSize: 1, context: 1) == nil)
    }

    @Test func aRunOverTheMachinesMemoryIsRefusedWithTheEstimate() throws {
        let shape = TinyModel.config().trainingShape
        try TrainingMemory.check(shape: shape, batchSize: 12, context: 64)
        let bytes = try #require(TrainingMemory.estimate(shape: shape, batchSize: 12, context: 64))
        do {
            try TrainingMemory.check(shape: shape, batchSize: 12, context: 64, limit: bytes - 1)
            Issue.record("an estimate over the limit was accepted")
        } catch {
            #expect("\(error)".contains("an estimated \(TrainingMemory.format(bytes))"), "\(error)")
        }
        #expect(TrainingMemory.format(1_234_567_890) == "1.23 GB")
        #expect(TrainingMemory.format(999) == "999 bytes")
    }

    /// t-layers1e9, t-heads-width, t-bs1e9, t-evaliters1e6, t-warmup-huge, m-max-ffn: refused at
    /// once, before a weight is allocated, with the number and (for the memory) the estimate.
    @Test(arguments: [
        (["--width", "65536", "--heads", "2", "--layers", "65536"], Int32(1), "memory: expected a run that fits"),
        (["--batch-size", "65536", "--context", "65536"], 1, "an estimated"),
        (["--width", "65536", "--heads", "1"], 1, "an estimated"),
        (["--layers", "1000000000"], 64, "--layers must be at most 65536"),
        (["--batch-size", "1000000000"], 64, "--batch-size must be at most 65536"),
        (["--eval-iterations", "1000000"], 64, "--eval-iterations must be at most 65536"),
        (["--eval-iterations", "9223372036854775807"], 64, "--eval-iterations must be at most 65536"),
        (["--warmup", "9223372036854775807"], 64, "--warmup must be in"),
        (["--ffn-width", "9223372036854775807"], 64, "--ffn-width must be at most 65536"),
    ])
    func hugeFlagsAreRefusedBeforeAllocating(arguments: [String], status: Int32, message: String) throws {
        let out = TinyModel.scratch("bounds-cli")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try ProductRunner.run("retnet", ["train", "--iterations", "2", "--out", out.path] + arguments)
        #expect(run.status == status, "\(arguments): exit \(run.status), \(run.stderr)")
        #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
    }
}
