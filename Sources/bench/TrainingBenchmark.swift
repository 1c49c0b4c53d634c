import ArgumentParser
import Benchmarks
import DecodingCosts
import FastTraining
import Foundation
import Matrices
import Measuring
import ModelOptions
import MultiScaleRetention
import RetNetModel
import Training
import Transformer

/// `bench training`: one training step's loss and gradients (FastGradients), or the reference; of
/// the RetNet, or of its Transformer baseline (FastTransformerGradients).
struct TrainingBenchmark: Benchmark {
    static let configuration = CommandConfiguration(
        commandName: "training",
        abstract: "One training step's loss and gradients of a random RetNet<Float> (FastGradients), or the reference's.",
        discussion: """
            The model `retnet train` trains, by default and for the same flags (its model-shape, batch and \
            --form flags, spelled and defaulted as there): a torchscale-variant model with seeded random weights \
            (RetNet.random) and --batch-size seeded sequences of --context + 1 tokens; median_seconds is one \
            lossAndGradients call over the batch (forward and backward, no optimiser step) and \
            tokens_per_second = batch_size × context / median, the predictions per second. --path reference \
            averages RetNet<Float>.gradients over the sequences instead (the explicit backward pass of \
            chapter 10, one sequence at a time). --model transformer times the Transformer of the same width, \
            layers and heads (TransformerConfig(matching:), W_G's weights in its FFN) through \
            FastTransformerGradients, or Transformer.gradients for --path reference; repeat --model for both, \
            side by side in one run. \
            --form chunkwise --chunk-size B runs the RetNet's heads chunkwise (FastGradients(threads:form:), \
            B×B scores per chunk and each chunk's state kept); --form tiled --chunk-size B runs the \
            Transformer's softmax attention tiled in blocks of B (FastTransformerGradients(threads:form:), \
            FlashAttention's online softmax, the scores recomputed in the backward pass); --form parallel, the \
            default, keeps every head's T×T scores (the Transformer's naive attention). A form that is not \
            the model's (chunkwise for the Transformer, tiled for the RetNet, tiled on --path reference) is \
            refused, and so is a run whose memory estimate (TrainingMemory, as `retnet train` makes it) is \
            over the machine's. \
            --optimizer times a whole training step instead, as `retnet train` takes it (Trainer.takeStep: \
            the loss and gradients, global-norm clipping at 1, AdamW and the model with its new weights), \
            on a seeded random text over --vocabulary characters, the model's weights changing from step \
            to step. \
            gflops is the model flops of the timed work per second (TrainingFlops: 3 × the forward's \
            multiply–adds — every matrix but the embedding once per token, and the causal half of each \
            head's scores and outputs — counted from the shapes, as llm.c does; AdamW's elementwise work is \
            not counted). They are the model's, the same for every --form: the causal half of the T×T scores \
            whatever the heads compute. The chunkwise form does fewer multiply–adds than that at long \
            contexts (B×B scores per chunk and a state product), the tiled form more (its scores recomputed \
            in the backward pass), neither counted: gflops then compares forms' speeds on one scale, not the \
            arithmetic each does (at long contexts the chunkwise form's mfu can exceed 1). mfu is gflops over \
            the FMA peak measured first on the same threads (`bench peak`'s chains, the best of 5 runs). \
            Parameters: model, path, form, chunk_size (with --form chunkwise or tiled), layers, heads, width, \
            value_width, ffn_width, parameter_count (the model's weights), vocabulary, batch_size, context, seed, \
            step, model_gflop (per timed run), peak_gflops, mfu; with --breakdown (fast path) also ms_<phase>: the mean milliseconds per step of \
            each phase of the loss and gradients (embedding, norms, projections, heads, ffn products, \
            activations, loss, by the code's own stopwatch over --repetitions more calls) and of clipping and \
            AdamW (timed alone on the same gradients), with a table on standard error.
            """)

    enum Path: String, CaseIterable, ExpressibleByArgument {
        case fast, reference
    }

    enum Model: String, CaseIterable, ExpressibleByArgument {
        case retnet, transformer
    }

    @Option(parsing: .singleValue, help: "fast or reference; repeat for both (default: fast).")
    var path: [Path] = [.fast]
    @Option(parsing: .singleValue, help: "retnet or transformer; repeat for both (default: retnet).")
    var model: [Model] = [.retnet]
    @OptionGroup var shape: ModelShapeOptions
    @OptionGroup var batches: BatchShapeOptions
    @OptionGroup var forms: TrainingFormOptions
    @Option(help: "Vocabulary size (65: tiny Shakespeare's characters, as `retnet train` reads them).") var vocabulary = 65
    @Flag(help: "Time a whole training step (loss and gradients, clipping, AdamW, new weights), not the gradients alone.")
    var optimizer = false
    @Flag(help: "Also time each phase of the fast path (PhaseClock), clipping and AdamW: a table on standard error, ms_<phase> in the parameters.")
    var breakdown = false

    @OptionGroup var threads: ThreadOptions
    @OptionGroup var timing: RepetitionOptions
    @OptionGroup var input: SeedOptions

    func validate() throws {
        try requireSize(vocabulary, in: 1...65_536, "--vocabulary")
        try forms.validate(context: batches.context)
        if forms.form == .chunkwise && model.contains(.transformer) {
            throw ValidationError("--form chunkwise is retention's form: a RetNet's (--model retnet), not the Transformer's.")
        }
        if forms.form == .tiled && model.contains(.retnet) {
            throw ValidationError("--form tiled is softmax attention's form: a Transformer's (--model transformer), not the RetNet's.")
        }
        if forms.form == .tiled && path.contains(.reference) {
            throw ValidationError("--form tiled times the kernels only (--path fast): the reference Transformer's attention is naive.")
        }
    }

    /// The RetNet's heads' form: chunkwise with --chunk-size, or parallel.
    var retentionForm: RetentionForm { forms.blockSize.map { .chunkwise(chunkSize: $0) } ?? .parallel }
    /// The Transformer's softmax heads' form: tiled in blocks of --chunk-size, or naive.
    var attentionForm: AttentionForm { forms.blockSize.map { .tiled(blockSize: $0) } ?? .naive }

    func measure(report: (BenchmarkResult) throws -> Void) throws {
        let config = shape.config(vocabulary: vocabulary)
        let (batch, length) = (batches.batchSize, batches.context + 1)
        do { try config.validate() } catch { throw ValidationError("\(error)") }
        // Refused from the numbers alone, before a weight is allocated, as `retnet train` refuses it.
        try TrainingMemory.check(shape: config.trainingShape, batchSize: batch, context: batches.context, chunkSize: forms.blockSize)
        let retnet = try RetNet<Float>.random(config: config, seed: UInt64(input.seed))
        let transformer = try Transformer<Float>.random(config: TransformerConfig(matching: config), seed: UInt64(input.seed))
        var rng = input.generator
        let sequences = (0..<batch).map { _ in (0..<length).map { _ in Int(rng.next() % UInt64(vocabulary)) } }
        let fast = try FastGradients(threads: threads.threads, form: retentionForm)
        let fastTransformer = try FastTransformerGradients(threads: threads.threads, form: attentionForm)
        let peak = try FMAPeak.measure(threads: threads.threads)
        progress(String(format: "FMA peak on %d thread(s): %.1f GFLOP/s", threads.threads, peak / 1e9))
        for kind in model {
        for path in path {
            let ffnWidth = kind == .retnet ? config.ffnEmbedDim : transformer.config.ffnEmbedDim
            let form = kind == .retnet ? "\(retentionForm)" : "\(attentionForm)"
            progress("\(kind.rawValue) \(path.rawValue) \(form): \(shape.layers) layers, E = \(shape.width), V = \(config.valueEmbedDim), F = \(ffnWidth), "
                     + "\(batch) × \(length) tokens, \(threads.threads) thread(s)" + (optimizer ? ", whole training steps" : ""))
            let seconds = optimizer ? try stepSeconds(kind, path, retnet, transformer) : try median(repetitions: timing.repetitions) {
                switch (kind, path) {
                case (.retnet, .fast):
                    blackHole(try fast.lossAndGradients(retnet, sequences: sequences))
                case (.retnet, .reference):
                    for sequence in sequences { blackHole(try retnet.gradients(sequence, form: retentionForm)) }
                case (.transformer, .fast):
                    blackHole(try fastTransformer.lossAndGradients(transformer, sequences: sequences))
                case (.transformer, .reference):
                    for sequence in sequences { blackHole(try transformer.gradients(sequence)) }
                }
            }
            let flops = kind == .retnet
                ? TrainingFlops(parameters: retnet.parameters, layers: config.layers, keyWidth: config.embedDim,
                                valueWidth: config.valueEmbedDim, sequences: batch, context: length - 1)
                : TrainingFlops(parameters: transformer.parameters, layers: config.layers, keyWidth: transformer.config.embedDim,
                                valueWidth: transformer.config.valueEmbedDim, sequences: batch, context: length - 1)
            let weights = kind == .retnet ? retnet.parameters : transformer.parameters
            var parameters: [String: Parameter] = [
                "model": .text(kind.rawValue), "path": .text(path.rawValue), "form": .text(forms.form.rawValue),
                "layers": .integer(shape.layers),
                "heads": .integer(shape.heads), "width": .integer(shape.width),
                "value_width": .integer(config.valueEmbedDim), "ffn_width": .integer(ffnWidth),
                "parameter_count": .integer(weights.reduce(0) { $0 + $1.values.count }),
                "vocabulary": .integer(vocabulary), "batch_size": .integer(batch), "context": .integer(batches.context),
                "seed": .integer(input.seed), "step": .text(optimizer ? "gradients, clipping, AdamW" : "gradients"),
                "model_gflop": .number(flops.step / 1e9), "peak_gflops": .number(peak / 1e9),
                "mfu": .number(flops.step / seconds / peak),
            ]
            if let b = forms.blockSize { parameters["chunk_size"] = .integer(b) }
            if breakdown && path == .fast {
                let phases = try phaseMilliseconds(kind, retnet, transformer, sequences, fast, fastTransformer)
                for (name, ms) in phases { parameters["ms_" + name.replacingOccurrences(of: " ", with: "_")] = .number(ms) }
                let total = phases.reduce(0) { $0 + $1.ms }
                progress("where a step's time goes (\(kind.rawValue), mean of \(timing.repetitions) calls; the median step is "
                         + String(format: "%.2f ms):", 1000 * seconds))
                for (name, ms) in phases {
                    progress("  " + name.padding(toLength: 14, withPad: " ", startingAt: 0)
                             + String(format: "%8.3f ms %5.1f%%", ms, 100 * ms / total))
                }
            }
            try report(BenchmarkResult(benchmark: "training", parameters: parameters, threads: threads.threads,
                                       repetitions: timing.repetitions, medianSeconds: seconds, flops: flops.step,
                                       tokens: batch * (length - 1)))
        }
        }
    }

    /// The mean milliseconds per call of each phase of the fast loss and gradients (its `PhaseClock`
    /// over --repetitions calls), then the median of the optimiser step's two passes, each timed
    /// alone on those gradients — in the order a step runs them: clipping (the gradients' global
    /// norm) and AdamW (its update with the clipped gradients, the clipping factor applied in
    /// the same pass, and the model with the new weights).
    func phaseMilliseconds(_ kind: Model, _ retnet: RetNet<Float>, _ transformer: Transformer<Float>, _ sequences: [[Int]],
                           _ fast: FastGradients, _ fastTransformer: FastTransformerGradients) throws -> [(name: String, ms: Double)] {
        let clock = PhaseClock()
        var gradients: [NamedTensor] = []
        let parameters = kind == .retnet ? retnet.parameters : transformer.parameters
        for _ in 0..<timing.repetitions {
            switch kind {
            case .retnet: gradients = try fast.lossAndGradients(retnet, sequences: sequences, clock: clock).gradients.tensors
            case .transformer: gradients = try fastTransformer.lossAndGradients(transformer, sequences: sequences, clock: clock).gradients.tensors
            }
        }
        let calls = Double(timing.repetitions)
        var phases = PhaseClock.Phase.allCases.map { (name: $0.rawValue, ms: 1000 * (clock.seconds[$0] ?? 0) / calls) }
        let settings = TrainingConfiguration()
        let n = threads.threads
        let clipping = try median(repetitions: timing.repetitions) { blackHole(GradientClipping.globalNorm(gradients, threads: n)) }
        let scale = GradientClipping.factor(norm: GradientClipping.globalNorm(gradients, threads: n), maxNorm: settings.gradientClip)
        let adamW = try AdamW()
        var state = AdamW.State(zeroFor: parameters)
        let update = try median(repetitions: timing.repetitions) {
            var updated = parameters
            try adamW.update(&updated, gradients: gradients, learningRate: 1e-3, state: &state, gradientScale: scale, threads: n)
            switch kind {
            case .retnet: blackHole(try retnet.with(parameters: updated))
            case .transformer: blackHole(try transformer.with(parameters: updated))
            }
        }
        phases.append((name: "clipping", ms: 1000 * clipping))
        phases.append((name: "AdamW", ms: 1000 * update))
        return phases
    }

    /// The median seconds of a whole training step (`Trainer.takeStep`) of `kind` with the
    /// gradients of `path`, on a seeded random text of --vocabulary characters.
    func stepSeconds(_ kind: Model, _ path: Path, _ retnet: RetNet<Float>, _ transformer: Transformer<Float>) throws -> Double {
        var settings = TrainingConfiguration()
        (settings.batchSize, settings.context, settings.evalIterations, settings.seed) = (batches.batchSize, batches.context, 1,
                                                                                          UInt64(input.seed))
        settings.chunkSize = forms.blockSize
        // Every character once (the tokenizer is the model's vocabulary), then random ones: enough
        // text for both splits to hold a batch of sequences.
        var rng = input.generator
        let characters = (0..<vocabulary).map { Character(Unicode.Scalar(UInt32(0x1_0000 + $0)) ?? "?") }
        let text = String(characters + (0..<(20 * batches.batchSize * (batches.context + 1))).map { _ in characters[Int(rng.next() % UInt64(vocabulary))] })
        let corpus = try Corpus(text: text)
        let n = threads.threads
        switch kind {
        case .retnet:
            let source: any GradientSource<RetNet<Float>> = path == .fast ? try FastGradients(threads: n, form: retentionForm)
                : try ReferenceGradients(threads: n, form: retentionForm)
            var trainer = try Trainer(model: retnet, corpus: corpus, configuration: settings, source: source)
            return try median(repetitions: timing.repetitions) { try trainer.takeStep() }
        case .transformer:
            guard path == .fast else { throw ValidationError("--optimizer times the Transformer with --path fast only") }
            var trainer = try Trainer(model: transformer, corpus: corpus, configuration: settings,
                                      source: try FastTransformerGradients(threads: n, form: attentionForm))
            return try median(repetitions: timing.repetitions) { try trainer.takeStep() }
        }
    }
}
