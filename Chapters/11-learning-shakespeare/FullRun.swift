import FastRetNet
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
/// batch 12, 2,000 steps, the same schedule and evaluations — once per seed (the seed draws the
/// initial weights and the batches), with gradients on the SIMD kernels (`FastGradients`,
/// `FastTransformerGradients`), each run's progress reported as `retnet train` reports it
/// (`Trainer.runReporting`). The first seed's two models then write a sample, are timed decoding
/// at a few positions, and have their heads' maps drawn for one line of the validation text.
/// Everything lands in `FullRunRecord` (records/training-full.json, which the page reads) and
/// three figures: the loss curves and the two models' maps.
///
/// A measurement of the machine it runs on; the figures are written only here (or redrawn from
/// the record), so `swift run figures` and CI leave the committed ones alone.
enum FullRun {
    static let figurePath = "Figures/training-full-measured.svg"
    static let retnetMapsPath = "Figures/trained-attention-retnet.svg"
    static let transformerMapsPath = "Figures/trained-attention-transformer.svg"
    static let prompt = "ROMEO:"
    static let sampleLength = 300
    /// Where the decoding steps are timed: inside the training context, a sample's length, far past it.
    static let decodingPositions = [64, 300, 2_048]
    /// The layers whose heads are drawn: the first and the last.
    static let mapLayers = [0, 3]

    static func configs(vocabulary: Int) -> (RetNetConfig, TransformerConfig) {
        let config = RetNetConfig(variant: .torchscale, embedDim: 128, valueEmbedDim: 256, retentionHeads: 4, ffnEmbedDim: 256,
                                  layers: 4, vocabSize: vocabulary)
        return (config, TransformerConfig(matching: config))
    }

    static func run(_ nb: Notebook, iterations: Int, seeds: [UInt64], threads: Int, root: URL) throws {
        let cpu = Machine.cpuName(), date = Machine.today(), load = Machine.loadAverage()
        let corpus = try Corpus(text: try TinyShakespeare.text())
        let tokenizer = corpus.tokenizer
        // `retnet train`'s defaults, nanoGPT's CPU example: AdamW at 1e-3 (100 warm-up steps, a
        // cosine to 1e-4), weight decay 0.1, clip 1, evaluations every 250 steps.
        var settings = TrainingConfiguration()
        settings.iterations = iterations
        let (config, transformerConfig) = configs(vocabulary: tokenizer.count)
        nb.say("\(cpu), \(date), \(load); \(threads) thread(s); \(Format.grouped(iterations)) steps of M = \(settings.batchSize) "
               + "windows of T = \(settings.context), seeds \(seeds.map(String.init).joined(separator: ", "))")

        var runs: [FullRunRecord.Run] = [], samples: [FullRunRecord.Sample] = [], decoding: [FullRunRecord.DecodingTime] = []
        var maps: [FullRunRecord.MapHead] = [], line = ""
        for (index, seed) in seeds.enumerated() {
            settings.seed = seed
            var retnet = try Trainer(model: try RetNet<Float>.random(config: config, seed: seed), corpus: corpus,
                                     configuration: settings, source: try FastGradients(threads: threads))
            runs.append(try train(&retnet, name: "RetNet", seed: seed, nb: nb))
            var transformer = try Trainer(model: try Transformer<Float>.random(config: transformerConfig, seed: seed),
                                          corpus: corpus, configuration: settings, source: try FastTransformerGradients(threads: threads))
            runs.append(try train(&transformer, name: "Transformer", seed: seed, nb: nb))
            guard index == 0 else { continue }
            samples = [
                .init(model: "RetNet", seed: seed, prompt: prompt,
                      text: try Chapter11.sample(retnet.model, tokenizer, prompt: prompt, count: sampleLength, seed: seed)),
                .init(model: "Transformer", seed: seed, prompt: prompt,
                      text: try sample(transformer.model, tokenizer, context: settings.context, seed: seed)),
            ]
            for sample in samples { nb.say("\(sample.model), seed \(sample.seed):", sample.text, "") }
            decoding = try decodingTimes(retnet.model, transformer.model, prompt: corpus.validation, threads: threads)
            for time in decoding { nb.say("\(time.model) decoding after \(time.position) tokens: \(Format.fixed(time.microseconds, 1)) µs/token") }
            let tokens = try mapLine(corpus)
            line = try tokenizer.decode(tokens)
            maps = try drawMaps(retnet.model, transformer.model, tokens: tokens, root: root)
            let worst = maps.map(\.layerGap).max() ?? .nan
            nb.check("the maps are the models' own: the outputs they imply match each layer's (Double) to 1e-12 relative",
                     worst < 1e-12, "largest gap \(Format.scientific(worst))")
        }
        let record = FullRunRecord(cpu: cpu, date: date, loadAtStart: load, loadAtEnd: Machine.loadAverage(), threads: threads,
                                   iterations: iterations, batchSize: settings.batchSize, context: settings.context, seeds: seeds,
                                   runs: runs, samples: samples, decoding: decoding, mapLine: line, maps: maps)
        try record.write(under: root)
        nb.say("wrote \(FullRunRecord.path)")
        nb.measuredTable(["model", "seed", "parameters", "final train loss", "final validation loss", "wall time"],
                         runs.map { run in
                             [run.model, "\(run.seed)", Format.grouped(run.parameters), Format.fixed(run.finalTrain, 4),
                              Format.fixed(run.finalValidation, 4), TrainingProgress.duration(run.seconds)]
                         }, onPage: "")
        try drawCurves(record, root: root)
        nb.say("wrote \(figurePath), \(retnetMapsPath), \(transformerMapsPath)")
    }

    /// Runs `trainer` to the end with its progress in the terminal; its wall time includes the
    /// evaluations.
    static func train<Model>(_ trainer: inout Trainer<Model>, name: String, seed: UInt64, nb: Notebook) throws -> FullRunRecord.Run {
        let parameters = trainer.model.parameters.reduce(0) { $0 + $1.values.count }
        nb.say("training the \(name), seed \(seed): \(Format.grouped(parameters)) parameters")
        let seconds = try Stopwatch.seconds { () throws(TrainingError) in try trainer.runReporting() }
        return FullRunRecord.Run(model: name, seed: seed, parameters: parameters, seconds: seconds, history: trainer.history)
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

    /// The median of 33 timed decoding steps (batch 1) of each trained model after each of
    /// `decodingPositions` tokens of `prompt` (read untimed: chunkwise for the RetNet, into a KV
    /// cache for the Transformer, which here keeps its whole cache rather than a window).
    static func decodingTimes(_ retnet: RetNet<Float>, _ transformer: Transformer<Float>, prompt: [Int], threads: Int) throws
        -> [FullRunRecord.DecodingTime]
    {
        let steps = 33
        let fastRetNet = try FastRetNet(retnet, threads: threads), fastTransformer = try FastTransformer(transformer, threads: threads)
        func median(_ step: ([Int]) throws -> Void, after n: Int) throws -> Double {
            try step([prompt[n]])  // untimed: first-touch pages
            let times = try (1...steps).map { i in try Stopwatch.seconds { try step([prompt[n + i]]) } }.sorted()
            return times[steps / 2] * 1e6
        }
        var times: [FullRunRecord.DecodingTime] = []
        for n in decodingPositions {
            let state = try fastRetNet.forward(Array(prompt[..<n]), form: .chunkwise(chunkSize: 256)).state
            let retnetDecoder = try FastRetNet.BatchDecoder(fastRetNet, states: [state])
            times.append(.init(model: "RetNet", position: n, microseconds: try median({ try retnetDecoder.step($0) }, after: n)))
            var cache = try fastTransformer.emptyCache(capacity: n + steps + 1)
            _ = try fastTransformer.prefill(Array(prompt[..<n]), cache: &cache)
            let transformerDecoder = try FastTransformer.Decoder(fastTransformer, caches: [cache])
            times.append(.init(model: "Transformer", position: n, microseconds: try median({ try transformerDecoder.step($0) }, after: n)))
        }
        return times
    }

    /// The line whose maps are drawn: the first speaker's line of the validation text (its
    /// first 48 characters, from the speaker's name).
    static func mapLine(_ corpus: Corpus) throws -> [Int] {
        let text = try corpus.tokenizer.decode(Array(corpus.validation.prefix(2_000)))
        guard let gap = text.range(of: "\n\n") else { return Array(corpus.validation.prefix(48)) }
        return try corpus.tokenizer.encode(String(text[gap.upperBound...].prefix(48)))
    }

    /// The maps of `mapLayers` for both models into their two figures; what each head does, for
    /// the record.
    static func drawMaps(_ retnet: RetNet<Float>, _ transformer: Transformer<Float>, tokens: [Int], root: URL) throws
        -> [FullRunRecord.MapHead]
    {
        // The Transformer in Double through its named weights (every tensor, by name).
        let r = try retnet.converted(to: Double.self)
        let t = try Transformer<Double>.random(config: transformer.config, seed: 0)
            .with(named: transformer.named.map { (name: $0.name, values: $0.values.map(Double.init)) })
        let retnetLayers = try mapLayers.map { try AttentionMaps.retnet(r, tokens: tokens, layer: $0) }
        let transformerLayers = try mapLayers.map { try AttentionMaps.transformer(t, tokens: tokens, layer: $0) }
        let retnetHeads = retnetLayers.flatMap { $0.heads }, transformerHeads = transformerLayers.flatMap { $0.heads }
        try Data(try AttentionMaps.figure(title: "Trained RetNet: each head's |Q Kᵀ ⊙ D| as shares of its row", heads: retnetHeads).utf8)
            .write(to: root.appendingPathComponent(retnetMapsPath))
        try Data(try AttentionMaps.figure(title: "Trained Transformer: each head's softmax(Q Kᵀ/√d_k)", heads: transformerHeads).utf8)
            .write(to: root.appendingPathComponent(transformerMapsPath))
        func summaries(_ model: String, _ layers: [(heads: [AttentionMaps.Head], gap: Double)]) -> [FullRunRecord.MapHead] {
            layers.flatMap { layer in
                layer.heads.map { .init(model: model, layer: $0.layer, head: $0.head, gamma: $0.gamma, meanDistance: $0.meanDistance,
                                        layerGap: layer.gap) }
            }
        }
        return summaries("RetNet", retnetLayers) + summaries("Transformer", transformerLayers)
    }

    /// Both models' loss curves from `record`: every seed's validation loss, the first seed's
    /// train loss.
    static func drawCurves(_ record: FullRunRecord, root: URL) throws {
        let (config, transformerConfig) = configs(vocabulary: 65)
        let settings = TrainingConfiguration()
        let shape = "\(config.layers) layers, \(config.retentionHeads) heads, width \(config.embedDim) (RetNet: value width "
            + "\(config.valueEmbedDim), FFN \(config.ffnEmbedDim); Transformer: FFN \(transformerConfig.ffnEmbedDim), W_G's weights in it)"
        let schedule = "AdamW at \(settings.learningRate) with \(settings.warmupIterations) warm-up steps and a cosine to "
            + "\(settings.minLearningRate), weight decay \(settings.weightDecay), clip \(settings.gradientClip)"
        let finals = ["RetNet", "Transformer"].map { model in
            let spread = Spread(record.runs(of: model).map(\.finalValidation))
            return "\(model): final validation loss \(Format.fixed(spread.mean, 4)) ± \(Format.fixed(spread.deviation, 4))"
        }
        let caption = "Measured on \(record.cpu), \(record.date) (\(record.loadAtStart) when it started), release build: "
            + "`swift run -c release chapter11 --full-run`. Both models as `retnet train` trains them by default (nanoGPT's CPU "
            + "example): \(shape), context \(record.context), batch \(record.batchSize), \(Format.grouped(record.iterations)) steps, "
            + "\(schedule); seeds \(record.seeds.map(String.init).joined(separator: ", ")) (each seed draws the weights and the "
            + "batches); gradients on the SIMD kernels, \(record.threads) thread(s). Losses: means over \(settings.evalIterations) "
            + "fixed batches of each split every \(settings.evalInterval) steps; validation for every seed, train for the first. "
            + finals.joined(separator: "; ") + " (mean ± sample standard deviation over the seeds)."
        let colors = ["RetNet": "#2171b5", "Transformer": "#cb181d"]
        func points(_ run: FullRunRecord.Run, _ key: KeyPath<Evaluation, Float>) -> [(x: Double, y: Double)] {
            run.history.map { (x: Double($0.step), y: Double($0[keyPath: key])) }
        }
        var series: [LinePlot.Series] = []
        for model in ["RetNet", "Transformer"] {
            let runs = record.runs(of: model)
            if let first = runs.first {
                series.append(.init("\(model), train, seed \(first.seed)", points: points(first, \.trainLoss), color: colors[model]!))
            }
            for run in runs {
                series.append(.init("\(model), validation, seed \(run.seed)", points: points(run, \.validationLoss),
                                    color: colors[model]!, dashed: true))
            }
        }
        let losses = record.runs.flatMap { $0.history.flatMap { [Double($0.trainLoss), Double($0.validationLoss)] } }
        let low = ((losses.min() ?? 1) * 2).rounded(.down) / 2, high = ((losses.max() ?? 5) * 2).rounded(.up) / 2
        let plot = LinePlot(
            title: "RetNet and Transformer on tiny Shakespeare at nanoGPT's CPU-example budget (measured)",
            x: try Axis("optimiser step", range: 0...Double(record.iterations)),
            y: try Axis("loss (nats per character)", range: low...max(high, low + 0.5)),
            series: series, caption: caption)
        try Data(try plot.svg(width: 900, height: 440).utf8).write(to: root.appendingPathComponent(figurePath))
    }
}
