import ArgumentParser
import ChapterSupport
import FastRetNet
import FastTraining
import Foundation
import Matrices
import MultiScaleRetention
import Notebook
import Plots
import RetNetModel
import TorchscaleCheckpoint
import Training

struct Chapter11: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chapter11",
        abstract: "11 — Learning Shakespeare: a tiny RetNet trained on tiny Shakespeare with AdamW, checkpointed, and sampled.",
        discussion: """
            The checks run on a small model trained for --iterations steps. The full run — the RetNet and its Transformer \
            baseline at nanoGPT's CPU-example budget, `retnet train`'s defaults — is a measurement: \
            swift run -c release chapter11 --full-run (terminal and Figures/training-full-measured.svg, never the page).
            """)

    @Option(help: "Optimiser steps (100…2000: the checks on the loss are claims about a model trained for at least 100 steps).")
    var iterations = 250

    @Option(help: "Seed of the initial weights, the batches and the samples.")
    var seed: UInt64 = 11

    @Option(help: "Threads for the gradients (1…8; the bits do not depend on it), here and in the full run.")
    var threads = 2

    @Flag(help: """
        Train the RetNet and the Transformer at nanoGPT's CPU-example budget (retnet train's defaults; release builds only, \
        minutes): progress in the terminal, a sample of each, Figures/training-full-measured.svg.
        """)
    var fullRun = false

    @Option(help: "Steps of --full-run (nanoGPT's budget is 2,000; fewer only to try the command: the figure says how many).")
    var fullRunIterations = 2000

    @OptionGroup var page: PageOptions

    /// The package root, from this file's path (Chapters/11-learning-shakespeare/main.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func validate() throws {
        guard (100...2000).contains(iterations) else {
            throw ValidationError("--iterations must be in 100...2000 (the loss checks are claims about a model trained for at least 100 steps), got \(iterations).")
        }
        guard (1...8).contains(threads) else { throw ValidationError("--threads must be in 1...8, got \(threads).") }
        guard (1...100_000).contains(fullRunIterations) else {
            throw ValidationError("--full-run-iterations must be in 1...100000, got \(fullRunIterations).")
        }
        if fullRun {
            guard !page.markdown && !page.writePage else {
                throw ValidationError("--full-run prints its progress and losses to the terminal and writes a measured figure; it cannot go on a page.")
            }
            #if DEBUG
            throw ValidationError("--full-run trains for minutes on the kernels and is meant for a release build: swift run -c release chapter11 --full-run")
            #endif
        }
    }

    func run() throws {
        let nb = Notebook(title: "11 — Learning Shakespeare", command: "chapter11", options: page)
        try narrate(nb)
        try nb.finish()
    }

    /// A sample of `count` characters after `prompt`: the prompt read chunkwise, then decoded
    /// recurrently on the kernels, drawn at temperature 0.8 with `seed`.
    static func sample(_ model: RetNet<Float>, _ tokenizer: CharacterTokenizer, prompt: String, count: Int, seed: UInt64) throws -> String {
        let ids = try tokenizer.encode(prompt)
        let generated = try FastRetNet(model).generate(prompt: ids, count: count, sampler: .temperature(0.8, seed: seed),
                                                       prefill: .chunkwise(chunkSize: 4))
        return try tokenizer.decode(ids + generated.tokens)
    }

    func narrate(_ nb: Notebook) throws {
        nb.prose("""
            Chapters 07 and 10 built a RetNet and its gradients; until now its weights were random or
            somebody else's. This chapter trains one: a tiny RetNet reads tiny Shakespeare — a million
            characters of the plays — one character at a time, and learns to predict the next. Its
            gradients here are chapter 10's explicit backward pass, sequence by sequence
            (`ReferenceGradients`); the rest is the loop around it: batches, a loss, AdamW, a
            learning-rate schedule, clipping, evaluations, checkpoints. The run is short enough for a
            debug build, so the model stays small and the text it writes stays rough, but the loss
            falls far enough to check that it learned something real. `retnet train` and the full run
            at the end take the same gradients from the SIMD kernels of chapter 08 (`FastGradients`).
            """)

        nb.section("The text and its tokens")
        nb.prose("""
            The text ships with the `Training` module (with its attribution). Like nanoGPT's
            `shakespeare_char`, the vocabulary is the text's distinct characters in sorted order, a
            character's token is its index, and the first 90% of the text is for training, the last
            10% held out for validation.
            """)
        let text = try TinyShakespeare.text()
        let corpus = try Corpus(text: text)
        let tokenizer = corpus.tokenizer
        nb.say("characters: \(Format.grouped(text.unicodeScalars.count)); train \(Format.grouped(corpus.train.count)), "
               + "validation \(Format.grouped(corpus.validation.count))",
               "vocabulary (\(tokenizer.count)): " + tokenizer.vocabulary.map { $0.escaped(asASCII: true) }.joined())
        nb.check("the vocabulary has 65 characters", tokenizer.count == 65, "\(tokenizer.count)")
        nb.check("decode(encode(text)) = text on the first 1,000 characters",
                 try tokenizer.decode(tokenizer.encode(String(text.prefix(1000)))) == String(text.prefix(1000)), "round trip")
        nb.prose("""
            A yardstick for the loss to come. A model that knew only how often each character occurs,
            and nothing about order, would lose on average the text's unigram entropy per character:
            """)
        nb.equation("H = −Σ_c p_c ln p_c,   p_c = count(c) / N",
                    latex: #"H = -\sum_c p_c \ln p_c, \qquad p_c = \frac{\operatorname{count}(c)}{N}"#)
        var counts = [Int](repeating: 0, count: tokenizer.count)
        for token in corpus.train { counts[token] += 1 }
        let total = Double(corpus.train.count)
        let entropy = counts.reduce(0.0) { sum, count in count == 0 ? sum : sum - Double(count) / total * Double.log(Double(count) / total) }
        nb.say("H = \(Format.fixed(entropy, 4)) nats per character on the training split (ln 65 = \(Format.fixed(Double.log(65), 4)): every character equally likely)")
        nb.prose("""
            A loss below H is something frequencies alone cannot give: the model must have learned
            which characters follow which.
            """)

        nb.section("The loss")
        nb.prose("""
            A batch is B windows of context + 1 consecutive characters, each starting at a random
            offset (seeded: batch k is drawn from the seed and k alone). The model reads a window in
            the parallel form — 17 tokens are short; the chunkwise form is what the paper trains long
            sequences with, and all three forms give the same gradients (chapter 10) — and the loss
            is the mean cross-entropy of each position's logits against the character that follows:
            """)
        nb.equation("L = 1/(B·T) Σ_b Σ_t ( logsumexp(ℓ_{b,t}) − ℓ_{b,t}[x_{b,t+1}] )",
                    latex: #"L = \frac{1}{B\,T} \sum_b \sum_t \Big( \operatorname{logsumexp}(\ell_{b,t}) - \ell_{b,t}[x_{b,t+1}] \Big)"#)
        let config = RetNetConfig(variant: .torchscale, embedDim: 16, valueEmbedDim: 32, retentionHeads: 2, ffnEmbedDim: 32,
                                  layers: 1, vocabSize: tokenizer.count)
        let initial = try RetNet<Float>.random(config: config, seed: seed)
        var settings = TrainingConfiguration()
        (settings.iterations, settings.batchSize, settings.context) = (iterations, 4, 16)
        (settings.learningRate, settings.minLearningRate, settings.warmupIterations) = (1e-2, 1e-3, 20)
        (settings.evalInterval, settings.evalIterations, settings.seed) = (25, 8, seed)
        let parameterCount = initial.parameters.reduce(0) { $0 + $1.values.count }
        nb.say("model: torchscale's variant, E = 16, 2 heads, V = 32, FFN 32, 1 layer: \(Format.grouped(parameterCount)) parameters",
               "batch: B = \(settings.batchSize) windows of T = \(settings.context) predictions (\(settings.context + 1) characters)")

        nb.section("AdamW")
        nb.prose("""
            Plain gradient descent moves each weight by η g: weights whose gradients are tiny barely
            move. Adam divides each weight's step by a running root mean square of its own gradient,
            so every weight moves by about η whatever the size of its gradient; AdamW (Loshchilov &
            Hutter) also shrinks the weights by η λ directly — *decoupled* from the gradient, where
            Adam's division would distort it. For each weight, at step t = 1, 2, …:
            """)
        nb.equation("m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²,   w ← w (1 − η λ) − η (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)",
                    latex: #"m \leftarrow \beta_1 m + (1-\beta_1) g, \quad v \leftarrow \beta_2 v + (1-\beta_2) g^2, \quad w \leftarrow w(1-\eta\lambda) - \eta \frac{m/(1-\beta_1^t)}{\sqrt{v/(1-\beta_2^t)} + \epsilon}"#)
        nb.prose("""
            The divisions by 1 − βᵗ undo the zeros m and v start from; at t = 1 they make the step
            exactly η g/(|g| + ε): η in the direction of −g, for a gradient of 10² as for one of 10⁻⁴
            (where ε = 10⁻⁸ takes 10⁻⁴ of the step). Check that on three weights at 0.5, without decay
            (λ = 0): the new weights are rounded to Float, whose spacing near 0.5 is 6e-8, so the
            steps agree to 1e-7, and ε's share of the first is ten times that.
            """)
        let adam = try AdamW(beta1: 0.9, beta2: 0.99, weightDecay: 0)
        var toy = [NamedTensor(name: "w", shape: [1, 3], values: [0.5, 0.5, 0.5])]
        var toyState = AdamW.State(zeroFor: toy)
        try adam.update(&toy, gradients: [NamedTensor(name: "w", shape: [1, 3], values: [1e-4, -3, 100])], learningRate: 1e-2,
                        state: &toyState)
        let moved = Matrix<Double>(rows: 1, columns: 3, entries: toy[0].values.map { Double($0) - 0.5 })
        nb.show("w after one step − w before (gradients 1e-4, −3, 100; η = 0.01)", moved, digits: 6)
        let expectedSteps = [1e-4, -3, 100].map { g in -1e-2 * g / (abs(g) + 1e-8) }
        nb.check("each weight moved by −η g/(|g| + ε) ≈ −η sign(g)", moved, Matrix(rows: 1, columns: 3, entries: expectedSteps),
                 tolerance: .absolute(1e-7))
        let tensors = initial.parameters
        let decaying = tensors.filter { AdamW.decays(shape: $0.shape) }
        nb.prose("""
            Which weights decay follows nanoGPT: every matrix (the projections, the FFN, the token
            embedding and the output projection), and no vector (the norms' weights). Decay pulls a
            weight towards 0; a norm's weight is a scale whose neutral value is 1.
            """)
        nb.say("decayed: \(decaying.count) matrices, \(Format.grouped(decaying.reduce(0) { $0 + $1.values.count })) weights; "
               + "not decayed: \(tensors.count - decaying.count) vectors (\(tensors.filter { !AdamW.decays(shape: $0.shape) }.map(\.name).joined(separator: ", ")))")
        nb.check("every 2-D tensor decays and no 1-D one does",
                 tensors.allSatisfy { AdamW.decays(shape: $0.shape) == ($0.shape.count == 2) }, "\(tensors.count) tensors")

        nb.section("The schedule and clipping")
        nb.prose("""
            The learning rate rises linearly over a warm-up — Adam's v is a poor estimate in the
            first steps, and large steps then can wreck the random initialisation — then falls along a
            cosine to a tenth of its peak (nanoGPT's `get_lr`). Before each step the gradients are
            clipped: when their norm over all weights together exceeds 1, all are scaled down to norm
            1, so one unlucky batch cannot throw the weights far.
            """)
        nb.equation("η(t) = η_max (t + 1)/(w + 1) for t < w;   η(t) = η_min + ½ (1 + cos(π (t − w)/(T − w))) (η_max − η_min) for t ≥ w",
                    latex: #"\eta(t) = \eta_{\max} \frac{t+1}{w+1} \ (t < w), \qquad \eta(t) = \eta_{\min} + \tfrac12\left(1 + \cos \frac{\pi (t-w)}{T-w}\right)(\eta_{\max} - \eta_{\min}) \ (t \ge w)"#)
        let schedule = try settings.schedule()
        let marks = [0, settings.warmupIterations / 2, settings.warmupIterations, (settings.warmupIterations + iterations) / 2, iterations]
        nb.table(["step t", "η(t)"], marks.map { [String($0), Format.scientific(schedule.rate(at: $0), 3)] })
        nb.check("η(w) = η_max and η(T) = η_min", schedule.rate(at: settings.warmupIterations) == settings.learningRate
                 && schedule.rate(at: iterations) == settings.minLearningRate,
                 "η(\(settings.warmupIterations)) = \(Format.scientific(schedule.rate(at: settings.warmupIterations), 3)), "
                 + "η(\(iterations)) = \(Format.scientific(schedule.rate(at: iterations), 3))")

        nb.section("Training")
        nb.prose("""
            Now the loop: draw batch t, compute the loss and its gradients, clip, take an AdamW step;
            every 25 steps, evaluate the loss on fixed batches of both splits (8 batches each, the
            same every time, so the points of the curve are comparable) and, in `retnet train`, write
            a checkpoint. A fresh model's loss is near ln 65: its logits are small and nearly equal.
            """)
        let source = try ReferenceGradients(threads: threads)
        var trainer = try Trainer(model: initial, corpus: corpus, configuration: settings, source: source)
        var records: [StepRecord] = []
        try trainer.run(stepped: { records.append($0) })
        let history = trainer.history
        nb.table(["step", "train loss", "validation loss"],
                 history.map { [String($0.step), Format.fixed(Double($0.trainLoss), 4), Format.fixed(Double($0.validationLoss), 4)] })
        let clipped = records.filter { $0.gradientNorm > settings.gradientClip }.count
        nb.say("gradient norm: largest \(Format.fixed(records.map(\.gradientNorm).max() ?? 0, 3)); clipped in \(clipped) of \(records.count) steps")
        let first = history[0], last = history[history.count - 1]
        nb.check("the validation loss fell below the unigram entropy H after \(iterations) steps",
                 Double(last.validationLoss) < entropy,
                 "\(Format.fixed(Double(last.validationLoss), 4)) < H = \(Format.fixed(entropy, 4))")
        nb.check("the validation loss fell from its start by more than 1 nat", Double(first.validationLoss - last.validationLoss) > 1,
                 "\(Format.fixed(Double(first.validationLoss), 4)) → \(Format.fixed(Double(last.validationLoss), 4))")
        nb.prose("""
            The run is deterministic: batch t depends on the seed and t only, and every sum has a
            fixed order — the batch's sequences may be computed on several threads, but their
            gradients are added in sequence order. So a second run repeats the first bit for bit, on
            any number of threads; check the first three steps' losses on 1 and 2 threads:
            """)
        var again: [UInt32] = []
        for count in [1, 2] {
            var repeated = try Trainer(model: initial, corpus: corpus, configuration: settings, source: ReferenceGradients(threads: count))
            var losses: [UInt32] = []
            for _ in 0..<3 { losses.append(try repeated.takeStep().loss.bitPattern) }
            again += losses
        }
        let original = records.prefix(3).map(\.loss.bitPattern)
        nb.check("the first 3 losses, recomputed on 1 and 2 threads, have the same bits",
                 again == original + original, records.prefix(3).map { Format.fixed(Double($0.loss), 6) }.joined(separator: ", "))
        let figurePath = "Figures/training-loss.svg"
        if page.writePage {
            let points = { (key: KeyPath<Evaluation, Float>) in history.map { (x: Double($0.step), y: Double($0[keyPath: key])) } }
            let plot = LinePlot(
                title: "Tiny RetNet on tiny Shakespeare: loss per character",
                x: try Axis("optimiser step", range: 0...Double(iterations)),
                y: try Axis("loss (nats per character)", range: 2...5),
                series: [.init("train (8 fixed batches)", points: points(\.trainLoss), color: "#1f77b4"),
                         .init("validation (8 fixed batches)", points: points(\.validationLoss), color: "#d62728"),
                         .init("unigram entropy H", points: [(0, entropy), (Double(iterations), entropy)], color: "#888888", dashed: true)])
            try plot.svg().write(to: Self.root.appendingPathComponent(figurePath), atomically: true, encoding: .utf8)
        }
        nb.figure(figurePath, caption: """
            The run above (seed 11, 250 steps): the loss on fixed batches of each split every 25 steps,
            and the unigram entropy of the text. Written by `chapter11 --write-page`, which
            `swift run pages` runs.
            """)

        nb.section("The same gradients on the kernels")
        nb.prose("""
            Chapter 10's backward pass is written for reading: a loop over the sequences, each
            product a plain matrix product. `retnet train` and the full run below take their
            gradients from `FastGradients` instead: the same backward pass on chapter 08's SIMD
            kernels, the whole batch's rows in each product, and the same bits on any number of
            threads. Both compute in Float, summing in different orders with different exponentials,
            so they agree up to rounding; FastTrainingTests checks `FastGradients` tensor by tensor
            against the Double reference. The bound there, on each tensor's norm-wise relative error
            ‖g − g_exact‖/‖g_exact‖, is ε = (10 (2L + 2) √K + T) u: K the longest sum (here
            2E + 2V = 96), whose rounding errors add as a random walk, √K u; 2L + 2 passes through
            a block, the embedding and the head, each about ten stages that round; T u for γᵀ;
            u = 2⁻²⁴. Two Float results within ε of the exact one are within 2ε of each other.
            Compare them on the first batch of the run above, with the trained model:
            """)
        let firstBatch = try BatchSampler(tokens: corpus.train, context: settings.context, batchSize: settings.batchSize, seed: seed).batch(0)
        let slow = try source.lossAndGradients(trainer.model, sequences: firstBatch)
        let fast = try FastGradients(threads: threads).lossAndGradients(trainer.model, sequences: firstBatch)
        let bits = { (result: (loss: Float, gradients: RetNetGradients<Float>)) in
            [result.loss.bitPattern] + result.gradients.tensors.flatMap { $0.values.map(\.bitPattern) }
        }
        let onOne = try FastGradients(threads: 1).lossAndGradients(trainer.model, sequences: firstBatch)
        let onTwo = try FastGradients(threads: 2).lossAndGradients(trainer.model, sequences: firstBatch)
        nb.check("FastGradients gives the same bits on 1 and 2 threads", bits(onOne) == bits(onTwo) && bits(onOne) == bits(fast),
                 "the loss and \(Format.grouped(bits(onOne).count - 1)) gradient entries")
        let longestSum = max(settings.batchSize * settings.context, config.ffnEmbedDim, 2 * config.embedDim + 2 * config.valueEmbedDim,
                             settings.context)
        let epsilon = (10 * Double(2 * config.layers + 2) * Double(longestSum).squareRoot() + Double(settings.context)) * 0x1p-24
        let errors = zip(fast.gradients.tensors, slow.gradients.tensors).map { f, r in
            let difference = zip(f.values, r.values).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
            let norm = r.values.reduce(0.0) { $0 + Double($1) * Double($1) }
            let matched = f.name == r.name && f.values.count == r.values.count
            return (name: r.name, error: matched ? (difference / norm).squareRoot() : .infinity)
        }
        let worst = errors.max { $0.error < $1.error } ?? (name: "none", error: 0)
        nb.say("loss: reference \(Format.fixed(Double(slow.loss), 7)), kernels \(Format.fixed(Double(fast.loss), 7)); "
               + "largest ‖Δg‖/‖g‖ over the \(errors.count) tensors: \(Format.scientific(worst.error, 1)) (\(worst.name))")
        nb.check("every gradient of FastGradients is within 2ε = \(Format.scientific(2 * epsilon, 1)) of the reference's (norm-wise)",
                 errors.count == initial.parameters.count && worst.error <= 2 * epsilon,
                 "\(Format.scientific(worst.error, 1)) ≤ \(Format.scientific(2 * epsilon, 1)), \(errors.count) tensors")
        nb.check("the two losses agree within ε (a forward pass: half the passes)", Matrix(rows: 1, columns: 1, entries: [Double(fast.loss)]),
                 Matrix(rows: 1, columns: 1, entries: [Double(slow.loss)]), tolerance: .relative(epsilon))

        nb.section("One model, three forms")
        nb.prose("""
            The model was trained in the parallel form, but it is a RetNet: the recurrent and
            chunkwise forms compute the same function. Recompute the validation loss of the trained
            model on 8 of the evaluation windows in each form, in Float, and in Double as the
            reference. In Float each form rounds differently — sums in another order, the recurrent
            state rounded at every step — but the norms keep every value near 1, so each loss, a mean
            of 128 log-probabilities, stays within a few unit roundoffs (6e-8) of the Double one. The
            bound 1e-6, about 17 roundoffs, leaves room for other seeds and lengths; a wrong decay
            or a missing term would be off by 1e-2 or more.
            """)
        let validation = try BatchSampler(tokens: corpus.validation, context: settings.context, batchSize: 8, seed: seed).batch(0)
        func meanLoss<E: RealScalar>(_ model: RetNet<E>, _ form: RetentionForm) throws -> Double {
            try validation.reduce(0.0) { $0 + Double(try model.loss($1, form: form)) } / Double(validation.count)
        }
        let trained = trainer.model
        let reference = try meanLoss(try trained.converted(to: Double.self), .parallel)
        var formLosses: [(String, Double)] = []
        for (name, form) in [("parallel", RetentionForm.parallel), ("recurrent", .recurrent), ("chunkwise (B = 5)", .chunkwise(chunkSize: 5))] {
            formLosses.append((name, try meanLoss(trained, form)))
        }
        nb.table(["form", "validation loss (Float)", "relative to Double"],
                 formLosses.map { [$0.0, Format.fixed($0.1, 6), Format.scientific(abs($0.1 - reference) / reference, 1)] })
        nb.check("the three forms' validation losses agree with the Double parallel loss",
                 Matrix(rows: 1, columns: 3, entries: formLosses.map(\.1)),
                 Matrix(rows: 1, columns: 3, entries: [reference, reference, reference]), tolerance: .relative(1e-6))

        nb.section("A checkpoint torchscale can load")
        nb.prose("""
            `retnet train` writes a checkpoint after every evaluation: config.json and
            model.safetensors under torchscale's names (the directory loads as any torchscale
            checkpoint does), the tokenizer, AdamW's moments and the run's settings. Each file is
            written to a temporary name and renamed, so a crash never leaves half a checkpoint, and a
            directory that exists and is not a checkpoint is refused. Save the trained model and load
            it back with the torchscale loader of chapter 07: the logits must be the same bits.
            """)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chapter11-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try TrainingCheckpoint.save(trainer, to: directory)
        let loaded = try TorchscaleCheckpoint(directory: directory).model(Float.self)
        let probe = try tokenizer.encode("ROMEO:\nO, she doth teach the torches to burn bright!")
        let before = try trained.logits(probe), after = try loaded.logits(probe)
        nb.say("files: " + (try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted().joined(separator: ", ")))
        nb.check("the reloaded model's logits equal the trained model's, bit for bit",
                 before.storage.map(\.bitPattern) == after.storage.map(\.bitPattern), "\(before.rows)×\(before.columns) logits")

        nb.section("What it writes")
        nb.prose("""
            Sampling reads the prompt chunkwise and decodes recurrently, one character at a time from
            the state (chapters 04 and 07), at temperature 0.8, on the kernels of chapter 08. Before
            training, every character is about as likely as any other; after a few hundred steps on
            a model of a few thousand weights, the text has words of plausible length, spaces and line
            breaks, capitalised names before colons — Shakespeare's shape, if not yet his words.
            """)
        nb.say("before training:", try Self.sample(initial, tokenizer, prompt: "ROMEO:", count: 160, seed: seed), "",
               "after \(iterations) steps (the reloaded checkpoint):",
               try Self.sample(loaded, tokenizer, prompt: "ROMEO:", count: 160, seed: seed))
        nb.prose("""
            `retnet train` runs this loop at any size: its defaults are nanoGPT's CPU example (4
            layers, 4 heads, width 128, context 64, batch 12, 2,000 steps), and `--resume` continues
            a run from its last checkpoint with the same bits as a run that never stopped.
            `retnet generate --checkpoint DIR --prompt-text "ROMEO:"` prints what it writes.
            """)

        nb.section("The full run")
        nb.prose("""
            The run above is sized for a debug build. nanoGPT's CPU example — 4 layers, 4 heads,
            width 128, context 64, batch 12, 2,000 steps, `retnet train`'s defaults — takes minutes in
            a release build, and one command trains that RetNet and its Transformer baseline of the
            same width, layers and heads identically (the same seed, batches, schedule and
            evaluations), both on the kernels (`FastGradients`, `FastTransformerGradients`) on
            `--threads` threads: `swift run -c release chapter11 --full-run`. It prints each run's
            progress as `retnet train` does (step, loss, the latest validation loss, tokens/s, time
            left), then the final losses and a sample of each model after "ROMEO:" — the RetNet's
            decoded recurrently from its state, the Transformer's with nanoGPT's sliding window over its
            64-token training context, as `retnet generate` runs it — and draws both
            models' loss curves into `Figures/training-full-measured.svg`, with the machine, the
            date, the threads, the wall times, the final validation losses and the parameter counts
            in its caption. nanoGPT reports a validation loss of 1.88 for its Transformer at this
            budget. Those numbers are this machine's measurement: they stay off this page, and
            neither `swift run figures` nor CI writes or compares that figure.
            """)
        if fullRun {
            try FullRun.run(nb, iterations: fullRunIterations, threads: threads, root: Self.root)
        } else {
            nb.measured("(not run: add --full-run to a release build)", onPage: "(the full run: in a terminal, with --full-run)")
        }
    }
}

Chapter11.main()
