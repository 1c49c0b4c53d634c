import DecodingCosts
import FastTraining
import FastTransformer
import Foundation
import Generation
import Matrices
import Measuring
import Notebook
import Plots
import RetNetModel
import Training
import Transformer

/// `chapter11 --full-run`: the RetNet and its Transformer baseline trained at nanoGPT's
/// CPU-example budget — `retnet train`'s defaults: 4 layers, 4 heads, width 128, context 64,
/// batch 12, 2,000 steps, the same seed, batches, schedule and evaluations — with gradients on
/// the SIMD kernels (`FastGradients`, `FastTransformerGradients`), each run's progress reported
/// as `retnet train` reports it (`Trainer.runReporting`). Then both models' loss curves are drawn
/// into Figures/training-full-measured.svg, the machine, date, threads, wall times, final
/// validation losses and parameter counts in its caption, and each model writes a sample.
///
/// A measurement of the machine it runs on: printed to the terminal, never on the page; the
/// figure is written only here, so `swift run figures` and CI leave the committed one alone.
enum FullRun {
    static let figurePath = "Figures/training-full-measured.svg"
    static let prompt = "ROMEO:"
    static let sampleLength = 300

    /// What one model's run left: its evaluations, its size and how long it took.
    struct Outcome {
        let name: String
        let history: [Evaluation]
        let parameters: Int
        let seconds: Double
        var finalValidation: Float { history.last?.validationLoss ?? .nan }
    }

    static func run(_ nb: Notebook, iterations: Int, threads: Int, root: URL) throws {
        let cpu = Machine.cpuName(), date = Machine.today(), load = Machine.loadAverage()
        let corpus = try Corpus(text: try TinyShakespeare.text())
        let tokenizer = corpus.tokenizer
        // `retnet train`'s defaults, nanoGPT's CPU example: AdamW at 1e-3 (100 warm-up steps, a
        // cosine to 1e-4), weight decay 0.1, clip 1, seed 1337, evaluations every 250 steps.
        var settings = TrainingConfiguration()
        settings.iterations = iterations
        let config = RetNetConfig(variant: .torchscale, embedDim: 128, valueEmbedDim: 256, retentionHeads: 4, ffnEmbedDim: 256,
                                  layers: 4, vocabSize: tokenizer.count)
        nb.say("\(cpu), \(date), \(load); \(threads) thread(s); \(Format.grouped(iterations)) steps of B = \(settings.batchSize) "
               + "windows of T = \(settings.context), seed \(settings.seed)")

        var retnet = try Trainer(model: try RetNet<Float>.random(config: config, seed: settings.seed), corpus: corpus,
                                 configuration: settings, source: try FastGradients(threads: threads))
        let retnetRun = try train(&retnet, name: "RetNet", nb: nb)
        let transformerConfig = TransformerConfig(matching: config)
        var transformer = try Trainer(model: try Transformer<Float>.random(config: transformerConfig, seed: settings.seed),
                                      corpus: corpus, configuration: settings, source: try FastTransformerGradients(threads: threads))
        let transformerRun = try train(&transformer, name: "Transformer", nb: nb)
        let runs = [retnetRun, transformerRun]

        nb.measuredTable(["model", "parameters", "final train loss", "final validation loss", "wall time"],
                         runs.map { run in
                             [run.name, Format.grouped(run.parameters), Format.fixed(Double(run.history.last?.trainLoss ?? .nan), 4),
                              Format.fixed(Double(run.finalValidation), 4), TrainingProgress.duration(run.seconds)]
                         }, onPage: "")

        let shape = "\(config.layers) layers, \(config.retentionHeads) heads, width \(config.embedDim) (RetNet: value width "
            + "\(config.valueEmbedDim), FFN \(config.ffnEmbedDim); Transformer: FFN \(transformerConfig.ffnEmbedDim), W_G's weights in it)"
        let schedule = "AdamW at \(settings.learningRate) with \(settings.warmupIterations) warm-up steps and a cosine to "
            + "\(settings.minLearningRate), weight decay \(settings.weightDecay), clip \(settings.gradientClip)"
        let caption = "Measured on \(cpu), \(date) (\(load) when it started), release build: `swift run -c release chapter11 "
            + "--full-run`. Both models as `retnet train` trains them by default (nanoGPT's CPU example): \(shape), context "
            + "\(settings.context), batch \(settings.batchSize), \(Format.grouped(iterations)) steps, \(schedule), seed "
            + "\(settings.seed), the same batches; gradients on the SIMD kernels, \(threads) thread(s). Losses: means over "
            + "\(settings.evalIterations) fixed batches of each split every \(settings.evalInterval) steps. "
            + runs.map(summary).joined(separator: "; ") + "."
        let colors = (retnet: "#2171b5", transformer: "#cb181d")
        func points(_ run: Outcome, _ key: KeyPath<Evaluation, Float>) -> [(x: Double, y: Double)] {
            run.history.map { (x: Double($0.step), y: Double($0[keyPath: key])) }
        }
        let losses = runs.flatMap { $0.history.flatMap { [Double($0.trainLoss), Double($0.validationLoss)] } }
        let low = ((losses.min() ?? 1) * 2).rounded(.down) / 2, high = ((losses.max() ?? 5) * 2).rounded(.up) / 2
        let plot = LinePlot(
            title: "RetNet and Transformer on tiny Shakespeare at nanoGPT's CPU-example budget (measured)",
            x: try Axis("optimiser step", range: 0...Double(iterations)),
            y: try Axis("loss (nats per character)", range: low...max(high, low + 0.5)),
            series: [
                .init("RetNet, train", points: points(retnetRun, \.trainLoss), color: colors.retnet),
                .init("RetNet, validation", points: points(retnetRun, \.validationLoss), color: colors.retnet, dashed: true),
                .init("Transformer, train", points: points(transformerRun, \.trainLoss), color: colors.transformer),
                .init("Transformer, validation", points: points(transformerRun, \.validationLoss), color: colors.transformer,
                      dashed: true),
            ], caption: caption)
        try Data(try plot.svg(width: 900, height: 440).utf8).write(to: root.appendingPathComponent(figurePath))
        nb.say("wrote \(figurePath)")

        let seed = settings.seed
        nb.say("RetNet, \"\(prompt)\" read chunkwise, then decoded recurrently from the state (temperature 0.8):",
               try Chapter11.sample(retnet.model, tokenizer, prompt: prompt, count: sampleLength, seed: seed), "",
               "Transformer, \"\(prompt)\" with a sliding window of its \(settings.context)-token context (temperature 0.8):",
               try sample(transformer.model, tokenizer, context: settings.context, seed: seed))
    }

    /// "RetNet: 1,234 parameters, final validation loss 1.9876, 5m3s".
    static func summary(_ run: Outcome) -> String {
        let loss = Format.fixed(Double(run.finalValidation), 4)
        return "\(run.name): \(Format.grouped(run.parameters)) parameters, final validation loss \(loss), "
            + "\(TrainingProgress.duration(run.seconds))"
    }

    /// Runs `trainer` to the end with its progress in the terminal; its wall time includes the
    /// evaluations.
    static func train<Model>(_ trainer: inout Trainer<Model>, name: String, nb: Notebook) throws -> Outcome {
        let parameters = trainer.model.parameters.reduce(0) { $0 + $1.values.count }
        nb.say("training the \(name): \(Format.grouped(parameters)) parameters")
        let seconds = try Stopwatch.seconds { () throws(TrainingError) in try trainer.runReporting() }
        return Outcome(name: name, history: trainer.history, parameters: parameters, seconds: seconds)
    }

    /// The Transformer's sample, drawn at temperature 0.8 as the RetNet's are: nanoGPT's sliding
    /// window over its training context (`FastTransformer.generate(prompt:count:sampler:context:)`,
    /// as `retnet generate` runs it) — the KV cache while the text fits in the window, the window
    /// read again past it — since the model never saw a position past its context.
    static func sample(_ model: Transformer<Float>, _ tokenizer: CharacterTokenizer, context: Int, seed: UInt64) throws -> String {
        let ids = try tokenizer.encode(prompt)
        let generated = try FastTransformer(model).generate(prompt: ids, count: sampleLength,
                                                            sampler: .temperature(0.8, seed: seed), context: context)
        return try tokenizer.decode(ids + generated.tokens)
    }
}
