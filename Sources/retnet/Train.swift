import ArgumentParser
import DecodingCosts
import Foundation
import Matrices
import MultiScaleRetention
import RetNetModel
import FastTraining
import ModelOptions
import Training
import Transformer

/// `retnet train`: a RetNet (or its Transformer baseline) learns a text, character by character;
/// a checkpoint after every evaluation (a torchscale checkpoint, or the Transformer's own files,
/// plus tokenizer and optimiser state) that `--resume` continues bit for bit.
struct Train: ReportingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a character-level RetNet on a text (default: the shipped tiny Shakespeare); write a checkpoint after every evaluation.",
        discussion: """
            Defaults are nanoGPT's CPU example for shakespeare_char (4 layers, 4 heads, width 128, \
            context 64, batch 12, 2,000 iterations, learning rate 1e-3 with 100 warm-up steps and a \
            cosine to 1e-4, weight decay 0.1, clip 1.0, no dropout). The output directory becomes a \
            torchscale checkpoint (config.json, model.safetensors) with tokenizer.json, \
            optimizer.safetensors and training.json; a directory that exists and is not a checkpoint \
            is refused. With --resume the run continues from the directory's checkpoint, with its \
            model and settings: the result is bit-identical to a run that never stopped. A Transformer \
            run (--model transformer) resumes the same way; which model a directory holds is told by its \
            files (transformer.json or config.json), and it keeps the --form it was started with. \
            Build it optimised: swift run -c release retnet train --out DIR
            """)

    @Option(help: "The text to train on (UTF-8; default: the shipped tiny Shakespeare).")
    var data: String?

    @Option(help: "The checkpoint directory to write (and, with --resume, to continue).")
    var out: String

    @Flag(help: """
        Continue the run saved in --out (its model and settings; --data, --threads and --stop-after still apply). \
        The model is the directory's: a --model that disagrees with it is an error.
        """)
    var resume = false

    /// The models `retnet train` trains.
    enum ModelKind: String, ExpressibleByArgument, CaseIterable {
        case retnet, transformer
        case linearAttention = "linear-attention"

        /// The name a message gives the model.
        var title: String {
            switch self {
            case .retnet: "a RetNet"
            case .transformer: "a Transformer"
            case .linearAttention: "a linear-attention Transformer"
            }
        }

        /// The Transformer's scoring, for the two Transformer kinds.
        var scoring: AttentionScoring? {
            switch self {
            case .retnet: nil
            case .transformer: .softmax
            case .linearAttention: .linear
            }
        }
    }
    /// Where the gradients come from.
    enum GradientKind: String, ExpressibleByArgument, CaseIterable { case reference, kernels }
    /// `--gradients reference` for a Transformer, given or resumed.
    static let kernelsOnly = ValidationError("--gradients reference: the Transformer is trained on the kernels only (--gradients kernels).")

    @Option(help: """
        The model: retnet, transformer — the baseline of the same width, layers and heads (softmax attention, \
        W_G's weights in the FFN), trained identically: the same batches, optimiser, schedule and seed — or \
        linear-attention, that Transformer with the softmax removed (its state d_k × d_v per head). A Transformer's \
        checkpoint is this project's (model.safetensors, transformer.json), not torchscale's. Default: retnet, \
        or with --resume the directory's model.
        """)
    var model: ModelKind?

    @Option(help: """
        The gradients: reference (the explicit backward pass, sequences shared between threads) or kernels \
        (FastTraining on the SIMD kernels, the default; the Transformer is trained on the kernels only).
        """)
    var gradients: GradientKind = .kernels

    @OptionGroup var shape: ModelShapeOptions
    @OptionGroup var batches: BatchShapeOptions
    @Option(help: "Optimiser steps.") var iterations = 2000
    @Option(help: "Peak learning rate.") var learningRate = 1e-3
    @Option(help: "Warm-up steps.") var warmup = 100
    @Option(help: "Learning rate at the end of the cosine.") var minLearningRate = 1e-4
    @Option(help: "AdamW's decoupled weight decay λ (matrices only).") var weightDecay = 0.1
    @Option(help: "Largest global gradient norm (0: no clipping).") var clip = 1.0
    @Option(help: "Seed of the initial weights and of the batches.") var seed: UInt64 = 1337
    @Option(help: "Evaluate (and write a checkpoint) every this many steps.") var evalInterval = 250
    @Option(help: "Batches per evaluation of each split.") var evalIterations = 20
    @Option(help: """
        Threads for the gradients (1...\(ThreadCount.maximum); the bits do not depend on it; above the processor count \
        the work is split finer, on one thread per processor).
        """)
    var threads = 1
    @Option(help: "Stop after this many steps in all (the run can be resumed).") var stopAfter: Int?
    @Option(help: """
        With --resume: continue the run to this many steps in all (more than it had, e.g. a finished run). \
        The cosine is laid again over the longer run, so the learning rate rises from the old minimum \
        to the new schedule's value at the step reached, and decays to --min-learning-rate at the new end.
        """)
    var extendTo: Int?
    @OptionGroup var forms: TrainingFormOptions
    /// The heads' form (--form); a resumed run keeps the form it was started with.
    var form: TrainingFormOptions.Form { forms.form }
    /// --chunk-size, as given.
    var chunkSize: Int? { forms.chunkSize }

    func validate() throws {
        for (flag, value) in [("--iterations", iterations), ("--eval-interval", evalInterval),
                              ("--eval-iterations", evalIterations), ("--threads", threads)] where value < 1 {
            throw ValidationError("\(flag) must be at least 1, got \(value).")
        }
        if let stopAfter, stopAfter < 1 { throw ValidationError("--stop-after must be at least 1, got \(stopAfter).") }
        guard threads <= ThreadCount.maximum else {
            throw ValidationError("--threads must be at most \(ThreadCount.maximum), got \(threads).")
        }
        guard learningRate > 0 && learningRate.isFinite else {
            throw ValidationError("--learning-rate must be a finite number > 0, got \(learningRate).")
        }
        guard minLearningRate >= 0 && minLearningRate <= learningRate else {
            throw ValidationError("--min-learning-rate must be in [0, --learning-rate], got \(minLearningRate).")
        }
        guard warmup >= 0 && warmup < Int.max else { throw ValidationError("--warmup must be in 0..<\(Int.max), got \(warmup).") }
        guard evalIterations <= TrainingConfiguration.maximumSize else {
            throw ValidationError("--eval-iterations must be at most \(TrainingConfiguration.maximumSize), got \(evalIterations).")
        }
        guard weightDecay >= 0 && weightDecay.isFinite else { throw ValidationError("--weight-decay must be ≥ 0, got \(weightDecay).") }
        guard clip >= 0 && clip.isFinite else { throw ValidationError("--clip must be ≥ 0 (0: off), got \(clip).") }
        if model?.scoring != nil && gradients == .reference {
            throw Self.kernelsOnly
        }
        if let extendTo {
            guard resume else { throw ValidationError("--extend-to continues a saved run: give it with --resume.") }
            guard extendTo >= 1 else { throw ValidationError("--extend-to must be at least 1, got \(extendTo).") }
        }
        try validateForm()
    }

    /// Whether `flag` was given on the command line (its defaulted value cannot tell).
    static func given(_ flag: String) -> Bool {
        CommandLine.arguments.dropFirst().contains { $0 == flag || $0.hasPrefix(flag + "=") }
    }

    /// With --resume the run's settings and model are the directory's: a flag given with a value
    /// other than the stored one is refused, naming both (the same value is allowed).
    func checkAgreement(_ stored: TrainingConfiguration, shape: TrainingShape) throws(TrainingError) {
        let given = settings()
        let settingFlags: [(String, String, String)] = [
            ("--iterations", "\(given.iterations)", "\(stored.iterations)"),
            ("--learning-rate", "\(given.learningRate)", "\(stored.learningRate)"),
            ("--min-learning-rate", "\(given.minLearningRate)", "\(stored.minLearningRate)"),
            ("--warmup", "\(given.warmupIterations)", "\(stored.warmupIterations)"),
            ("--weight-decay", "\(given.weightDecay)", "\(stored.weightDecay)"),
            ("--clip", "\(given.gradientClip)", "\(stored.gradientClip)"),
            ("--seed", "\(given.seed)", "\(stored.seed)"),
            ("--eval-interval", "\(given.evalInterval)", "\(stored.evalInterval)"),
            ("--eval-iterations", "\(given.evalIterations)", "\(stored.evalIterations)"),
            ("--batch-size", "\(given.batchSize)", "\(stored.batchSize)"),
            ("--context", "\(given.context)", "\(stored.context)"),
            ("--chunk-size", "\(given.chunkSize.map(String.init) ?? "none")", "\(stored.chunkSize.map(String.init) ?? "none")"),
            ("--layers", "\(self.shape.layers)", "\(shape.layers)"),
            ("--heads", "\(self.shape.heads)", "\(shape.heads)"),
            ("--width", "\(self.shape.width)", "\(shape.width)"),
            ("--value-width", "\(self.shape.valueDimension)", "\(shape.valueWidth)"),
            ("--ffn-width", "\(self.shape.ffnDimension)", "\(shape.ffnWidth)"),
        ]
        for (flag, value, kept) in settingFlags where Self.given(flag) && value != kept {
            let hint = flag == "--iterations" ? "; to train on, give --extend-to N" : ""
            throw .setting(name: flag, expected: "\(kept), the checkpoint's (a resumed run keeps its settings\(hint)), or no \(flag)",
                           got: value)
        }
    }

    /// --form and --chunk-size: a chunk size with the chunkwise or tiled form only, from 1 to the
    /// context; the chunkwise form for a RetNet, the tiled one for a softmax Transformer.
    func validateForm() throws {
        try forms.validate(context: batches.context)
        if form == .chunkwise, let model, model != .retnet {
            throw ValidationError("--form chunkwise is retention's form: a RetNet's (--model retnet), not \(model.title)'s.")
        }
        if form == .tiled, model != .transformer {
            throw ValidationError("--form tiled is softmax attention's form: a Transformer's (--model transformer), not \((model ?? .retnet).title)'s.")
        }
    }

    /// The Transformer's gradients, tiled when `settings` has a block size.
    func transformerSource(_ settings: TrainingConfiguration) throws -> FastTransformerGradients {
        try FastTransformerGradients(threads: threads, form: settings.chunkSize.map { .tiled(blockSize: $0) } ?? .naive)
    }

    /// Where the RetNet's gradients come from: the reference backward pass, shared between
    /// threads, or the kernels, in the chunkwise form when `settings` has a chunk size.
    func gradientSource(_ settings: TrainingConfiguration) throws -> any GradientSource<RetNet<Float>> {
        let form: RetentionForm = settings.chunkSize.map { .chunkwise(chunkSize: $0) } ?? .parallel
        return switch gradients {
        case .reference: try ReferenceGradients(threads: threads, form: form)
        case .kernels: try FastGradients(threads: threads, form: form)
        }
    }

    func settings() -> TrainingConfiguration {
        var s = TrainingConfiguration()
        (s.iterations, s.batchSize, s.context, s.learningRate, s.minLearningRate) = (iterations, batches.batchSize, batches.context, learningRate, minLearningRate)
        (s.warmupIterations, s.weightDecay, s.gradientClip, s.seed) = (warmup, weightDecay, clip, seed)
        (s.evalInterval, s.evalIterations) = (evalInterval, evalIterations)
        s.chunkSize = forms.blockSize
        return s
    }

    func execute() throws {
        let directory = URL(fileURLWithPath: out)
        #if DEBUG
        FileHandle.standardError.write(Data(("note: this is a debug build, in which training is some 350× slower than in an optimised "
                                              + "one: swift run -c release retnet train …\n").utf8))
        #endif
        // Before any helper thread starts, so that every thread inherits the blocked signals.
        Interruption.stopBetweenWrites(out: out)
        // The directory is locked for the whole run (and created for it when missing, so that a
        // --out that cannot be written is refused before anything else); a run that fails before
        // its first checkpoint removes the directory it created.
        let existed = FileManager.default.fileExists(atPath: out)
        if resume && !existed {
            throw TrainingError.checkpoint(path: out, reason: "no training.json (not a training checkpoint)")
        }
        if !resume { try TrainingCheckpoint.checkWritable(directory) }
        let lock = try TrainingCheckpoint.lock(directory)
        defer {
            TrainingCheckpoint.unlock(lock)
            if !existed, (try? FileManager.default.contentsOfDirectory(atPath: out)) == [".lock"] {
                try? FileManager.default.removeItem(at: directory)
            }
        }
        let text = if let data { try TinyShakespeare.readText(URL(fileURLWithPath: data)) } else { try TinyShakespeare.text() }
        if resume {
            switch try checkpointModel(in: directory) {
            case .retnet: try resume(source: { settings throws in try gradientSource(settings) }, text: text, directory: directory)
            case .transformer, .linearAttention:
                if gradients == .reference {
                    throw Self.kernelsOnly
                }
                try resume(source: { settings throws in try transformerSource(settings) }, text: text, directory: directory)
            }
            return
        }
        try TrainingCheckpoint.checkWritable(directory)
        if TrainingCheckpoint.exists(at: directory) {
            throw TrainingError.setting(name: "--out", expected: "a new or empty directory (pass --resume to continue the checkpoint in it)",
                                        got: "\(out), which holds a checkpoint")
        }
        let corpus = try Corpus(text: text)
        let config = shape.config(vocabulary: corpus.tokenizer.count)
        // Refused from the numbers alone, before a weight is allocated.
        try settings().validate()
        try TrainingMemory.check(shape: config.trainingShape, batchSize: batches.batchSize, context: batches.context,
                                 chunkSize: settings().chunkSize)
        if let scoring = model?.scoring {
            var shape = TransformerConfig(matching: config)
            shape.attention = scoring
            let transformer = try Transformer<Float>.random(config: shape, seed: seed)
            let source = try transformerSource(settings())
            var baseline = try Trainer(model: transformer, corpus: corpus, configuration: settings(), source: source)
            announce(baseline, corpus: corpus)
            try train(&baseline, directory: directory)
            return
        }
        let retnet = try RetNet<Float>.random(config: config, seed: seed)
        let source = try gradientSource(settings())
        var trainer = try Trainer(model: retnet, corpus: corpus, configuration: settings(), source: source)
        announce(trainer, corpus: corpus)
        try train(&trainer, directory: directory)
    }

    /// The model of the checkpoint in `directory`, told by its configuration file
    /// (`TrainableModel.configurationFile`); a `--model` that disagrees is an error. A directory
    /// with neither file is taken for the --model's (a RetNet's by default), whose loader says
    /// what is missing.
    func checkpointModel(in directory: URL) throws(TrainingError) -> ModelKind {
        let found: ModelKind
        switch (TrainingCheckpoint.holds(RetNet<Float>.self, in: directory), TrainingCheckpoint.holds(Transformer<Float>.self, in: directory)) {
        case (true, true):
            throw .checkpoint(path: directory.path, reason: "it holds both \(RetNet<Float>.configurationFile) (a RetNet's) and "
                              + "\(Transformer<Float>.configurationFile) (a Transformer's): which model it is cannot be told")
        case (true, false): found = .retnet
        case (false, true):
            // Which Transformer: its configuration's scoring (softmax when a file predates it).
            let file = directory.appendingPathComponent(Transformer<Float>.configurationFile)
            let stored = (try? Data(contentsOf: file)).flatMap { try? JSONDecoder().decode(TransformerConfig.self, from: $0) }
            found = stored?.attention == .linear ? .linearAttention : .transformer
        case (false, false): return model ?? .retnet
        }
        if let model, model != found {
            throw .setting(name: "--model", expected: "\(found.rawValue) (\(out) holds \(found.title)'s checkpoint) or no --model",
                           got: model.rawValue)
        }
        return found
    }

    /// Continues the run saved in the checkpoint of `directory`, its gradients from
    /// `source(its settings)`.
    private func resume<Model: TrainableModel>(source: (TrainingConfiguration) throws -> any GradientSource<Model>, text: String,
                                               directory: URL) throws {
        var contents = try TrainingCheckpoint.load(Model.self, from: directory)
        try checkAgreement(contents.configuration, shape: contents.model.trainingShape)
        if let extendTo { contents = try contents.extended(to: extendTo) }
        var trainer = try Trainer(resuming: contents, text: text, source: source(contents.configuration))
        let which = Model.self == Transformer<Float>.self ? " (the Transformer baseline)" : ""
        print("resuming \(out)\(which) at step \(trainer.step) of \(trainer.configuration.iterations)")
        try train(&trainer, directory: directory)
    }

    private func announce<Model>(_ trainer: Trainer<Model>, corpus: Corpus) {
        let count = trainer.model.parameters.reduce(0) { $0 + $1.values.count }
        let which = switch model {
        case .transformer: " of the Transformer baseline"
        case .linearAttention: " of the linear-attention Transformer"
        case .retnet, nil: ""
        }
        print("training \(count) parameters\(which) on \(corpus.train.count) characters (\(corpus.validation.count) held out), "
              + "vocabulary \(corpus.tokenizer.count)")
    }

    /// Runs `trainer` to the end (or --stop-after), a checkpoint after every evaluation, its
    /// progress reported as it goes (`Trainer.runReporting`).
    private func train<Model>(_ trainer: inout Trainer<Model>, directory: URL) throws {
        var lastSaved: Int?
        do {
            try trainer.runReporting(stopAfter: stopAfter, evaluated: { trainer, _ throws(TrainingError) in
                try TrainingCheckpoint.save(trainer, to: directory)
                lastSaved = trainer.step
            })
        } catch {
            let kept = lastSaved.map { "the last good checkpoint (step \($0)) is kept in \(out)" }
                ?? (TrainingCheckpoint.exists(at: directory) ? "the checkpoint in \(out) is unchanged" : "no checkpoint was written")
            FileHandle.standardError.write(Data("error: \(error); \(kept)\n".utf8))
            throw ExitCode.failure
        }
        print("saved \(out) at step \(trainer.step)")
    }
}

/// SIGINT and SIGTERM during a run: the process stops between checkpoint writes, never inside
/// one, so the directory holds a complete checkpoint and no temporary file. The signals are
/// blocked in every thread and taken by one thread of their own (`sigwait`), which waits for a
/// write in progress to finish (`TrainingCheckpoint.betweenWrites`) and exits with 128 + the
/// signal's number, as a shell reports a process stopped by it.
enum Interruption {
    static func stopBetweenWrites(out: String) {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let thread = Thread {
            var signals = sigset_t()
            sigemptyset(&signals)
            sigaddset(&signals, SIGINT)
            sigaddset(&signals, SIGTERM)
            var received: Int32 = 0
            guard sigwait(&signals, &received) == 0 else { return }
            TrainingCheckpoint.betweenWrites {
                let name = received == SIGINT ? "SIGINT" : "SIGTERM"
                let message = "\nstopped by \(name); the checkpoint in \(out), if any, is complete (continue it with --resume)\n"
                FileHandle.standardError.write(Data(message.utf8))
                exit(128 + received)
            }
        }
        thread.start()
    }
}
