import FastRetNet
import FastTraining
import FastTransformer
import Foundation
import Generation
import Matrices
import Measuring
import MultiScaleRetention
import Notebook
import RetNetModel
import Training
import Transformer

/// `chapter12 --length-generalisation`: chapter 11's two models — the RetNet and its matched
/// Transformer, `retnet train`'s defaults (nanoGPT's CPU example) — trained at context 64 and
/// again at context 1,024 on the same number of predicted tokens, then each read over every
/// non-overlapping window of 4,097 validation tokens, the mean next-token loss kept per position
/// 1 … 4,096: the RetNet over the whole window (the chunkwise form, which never needs a window),
/// the Transformer with all its keys (RoPE extrapolated) and with a sliding window of its
/// training context (banded causal attention at every layer). Writes the record
/// (`LengthRecord.path`) and the figure (`LengthFigure.path`); a measurement, never run by CI.
struct LengthGeneralisation {
    static let positions = 4_096
    static let contexts = [64, 1_024]
    /// Chunks of the RetNet's chunkwise form and blocks of the tiled attention at context 1,024,
    /// and the chunk size the RetNet reads the windows with.
    static let blockSize = 64
    /// Steps of the short runs in the full budget: 2,000 × 12 × 64 = 1,536,000 predicted tokens.
    static let fullSteps = 2_000
    static let shortBatch = 12

    /// Optimiser steps of the context-64 runs (a multiple of 4 so that the context-1,024 runs, at
    /// batch 1, take 3/4 as many steps on exactly the same tokens).
    let steps: Int
    /// Validation windows to read; nil: as many as the split holds.
    let windows: Int?
    let threads: Int
    let root: URL

    /// The settings at `context`: `retnet train`'s defaults at 64; at 1,024 batch 1 and
    /// steps × 12 × 64 / 1,024 steps — the same tokens, about as many per step (1,024 against
    /// 768) — with the schedule's shape kept: warm-up 1/20 of the steps, evaluations every 1/8,
    /// each over the same 15,360 tokens (20 batches of 12 × 64, or 15 of 1 × 1,024).
    func settings(context: Int) -> TrainingConfiguration {
        var s = TrainingConfiguration()
        s.context = context
        s.batchSize = context == Self.contexts[0] ? Self.shortBatch : 1
        s.iterations = steps * Self.shortBatch * Self.contexts[0] / (s.batchSize * context)
        s.warmupIterations = max(1, s.iterations / 20)
        s.evalInterval = max(1, s.iterations / 8)
        s.evalIterations = 20 * Self.shortBatch * Self.contexts[0] / (s.batchSize * context)
        s.chunkSize = context == Self.contexts[0] ? nil : Self.blockSize
        return s
    }

    func run(_ nb: Notebook) throws {
        let cpu = Machine.cpuName(), date = Machine.today(), load = Machine.loadAverage()
        let corpus = try Corpus(text: try TinyShakespeare.text())
        let fit = corpus.validation.count / (Self.positions + 1)
        guard fit >= 1 else {
            throw LengthError("the validation split holds \(corpus.validation.count) tokens, fewer than one window of \(Self.positions + 1)")
        }
        let count = min(windows ?? fit, fit)
        let texts = (0..<count).map { w in Array(corpus.validation[(w * (Self.positions + 1))..<((w + 1) * (Self.positions + 1))]) }
        nb.say("\(cpu), \(date), \(load); \(threads) thread(s); \(count) validation windows of \(Self.positions + 1) tokens "
               + "(the split holds \(fit))" + (steps < Self.fullSteps ? "; REDUCED: \(steps) steps, not \(Self.fullSteps)" : ""))
        let config = RetNetConfig(variant: .torchscale, embedDim: 128, valueEmbedDim: 256, retentionHeads: 4, ffnEmbedDim: 256,
                                  layers: 4, vocabSize: corpus.tokenizer.count)
        var runs: [LengthRecord.Run] = []
        for context in Self.contexts {
            let s = settings(context: context)
            let long = context > Self.contexts[0]
            nb.say("context \(context): batch \(s.batchSize), \(Format.grouped(s.iterations)) steps, warm-up \(s.warmupIterations), "
                   + "\(Format.grouped(s.iterations * s.batchSize * context)) predicted tokens")
            var retnet = try Trainer(model: try RetNet<Float>.random(config: config, seed: s.seed), corpus: corpus, configuration: s,
                                     source: try FastGradients(threads: threads, form: long ? .chunkwise(chunkSize: Self.blockSize) : .parallel))
            let retnetMinutes = try Self.train(&retnet, name: "RetNet", nb: nb)
            let fastRetNet = try FastRetNet(retnet.model, threads: threads)
            let whole = try Self.means(texts, "RetNet, whole window", nb) { text throws in
                try PositionLosses.retnet(fastRetNet, text: text, chunkSize: Self.blockSize)
            }
            runs.append(Self.record(retnet, name: "RetNet", form: long ? "chunkwise (B = \(Self.blockSize))" : "parallel",
                                    minutes: retnetMinutes,
                                    readings: [PositionSummary.reading("whole window", window: nil, means: whole)]))

            var transformer = try Trainer(model: try Transformer<Float>.random(config: TransformerConfig(matching: config), seed: s.seed),
                                          corpus: corpus, configuration: s,
                                          source: try FastTransformerGradients(threads: threads,
                                                                               form: long ? .tiled(blockSize: Self.blockSize) : .naive))
            let transformerMinutes = try Self.train(&transformer, name: "Transformer", nb: nb)
            let fastTransformer = try FastTransformer(transformer.model, threads: threads)
            let full = try Self.means(texts, "Transformer, full context", nb) { text throws in
                try PositionLosses.transformer(fastTransformer, text: text)
            }
            let sliding = try Self.means(texts, "Transformer, sliding window of \(context)", nb) { text throws in
                try PositionLosses.transformer(fastTransformer, text: text, window: context)
            }
            runs.append(Self.record(transformer, name: "Transformer", form: long ? "tiled (B = \(Self.blockSize))" : "naive",
                                    minutes: transformerMinutes,
                                    readings: [PositionSummary.reading("full context", window: nil, means: full),
                                               PositionSummary.reading("sliding window", window: context, means: sliding)]))
        }
        let record = LengthRecord(cpu: cpu, date: date, load: load, threads: threads, reduced: steps < Self.fullSteps,
                                  positions: Self.positions, windows: count, runs: runs)
        try record.write(under: root)
        try LengthFigure.write(record, root: root)
        nb.say("wrote \(LengthRecord.path) and \(LengthFigure.path)")
        LengthFigure.table(record, nb)
    }

    /// Trains to the end with the progress in the terminal; minutes of wall time.
    static func train<Model>(_ trainer: inout Trainer<Model>, name: String, nb: Notebook) throws -> Double {
        nb.say("training the \(name) at context \(trainer.configuration.context)")
        return try Stopwatch.seconds { () throws(TrainingError) in try trainer.runReporting() } / 60
    }

    /// The mean over `texts` of each position's loss, read by `losses`.
    static func means(_ texts: [[Int]], _ what: String, _ nb: Notebook, _ losses: ([Int]) throws -> [Double]) throws -> [Double] {
        var sums = [Double](repeating: 0, count: positions)
        let seconds = try Stopwatch.seconds { () throws in
            for text in texts {
                for (p, loss) in try losses(text).enumerated() { sums[p] += loss }
            }
        }
        let means = sums.map { $0 / Double(texts.count) }
        nb.say("  \(what): mean loss \(Format.fixed(means.reduce(0, +) / Double(positions), 4)) over \(positions) positions "
               + "(\(TrainingProgress.duration(seconds)))")
        return means
    }

    static func record<Model>(_ trainer: Trainer<Model>, name: String, form: String, minutes: Double,
                              readings: [LengthRecord.Reading]) -> LengthRecord.Run {
        let s = trainer.configuration
        return .init(model: name, context: s.context, batchSize: s.batchSize, steps: s.iterations, warmup: s.warmupIterations,
                     evalInterval: s.evalInterval, evalIterations: s.evalIterations, form: form,
                     parameters: trainer.model.parameters.reduce(0) { $0 + $1.values.count },
                     finalValidationLoss: Double(trainer.history.last?.validationLoss ?? .nan), minutes: minutes, readings: readings)
    }
}

/// A run that cannot start: what is wrong, in words.
struct LengthError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
