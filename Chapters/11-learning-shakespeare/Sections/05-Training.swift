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

extension Chapter11 {
    /// The run: losses against H, bits independent of the threads, the loss curve. Returns the
    /// trainer (holding the trained model) and its gradient source.
    func training(_ nb: Notebook, corpus: Corpus, initial: RetNet<Float>, settings: TrainingConfiguration, yardsticks: Yardsticks)
        throws -> (trainer: Trainer<RetNet<Float>>, source: ReferenceGradients) {
        nb.section("Training")
        nb.prose("""
            Now the loop: draw batch t, compute the loss and its gradients, clip, take an AdamW step;
            every 25 steps, evaluate the loss on fixed batches of both splits (8 batches each, the
            same every time, so the points of the curve are comparable) and, in `retnet train`, write
            a checkpoint. A fresh model's loss starts above ln 65, for the hot logits above.
            """)
        let entropy = yardsticks.unigram
        let source = try ReferenceGradients(threads: threads)
        var trainer = try Trainer(model: initial, corpus: corpus, configuration: settings, source: source)
        var records: [StepRecord] = []
        try trainer.run(stepped: { records.append($0) })
        let history = trainer.history
        nb.table(["step", "train loss", "validation loss"],
                 history.map { [String($0.step), Format.fixed(Double($0.trainLoss), 4), Format.fixed(Double($0.validationLoss), 4)] })
        let clipped = records.filter { $0.gradientNorm > settings.gradientClip }.count
        let norms = records.map(\.gradientNorm).sorted()
        nb.say("gradient norm: median \(Format.fixed(Double(norms[norms.count / 2]), 3)), largest \(Format.fixed(Double(norms.last ?? 0), 3)); "
               + "clipped in \(clipped) of \(records.count) steps")
        nb.prose("""
            Most steps are clipped: a model this small, at η = 10⁻², has gradients whose norm is
            mostly above 1. That costs less than it seems. Adam divides by the root mean square of
            each weight's gradient, so scaling a whole gradient down leaves its step nearly as it
            was; what clipping changes is how much this batch weighs in m and v against the batches
            before it — a guard against one wild batch, not a brake on every step.
            """)
        let first = history[0], last = history[history.count - 1]
        let uniform = Double.log(65)
        nb.check("the untrained model's validation loss lies above ln 65 (hot logits)", Double(first.validationLoss) > uniform,
                 "\(Format.fixed(Double(first.validationLoss), 4)) > ln 65 = \(Format.fixed(uniform, 4))")
        nb.check("the validation loss fell below the unigram entropy H after \(iterations) steps",
                 Double(last.validationLoss) < entropy,
                 "\(Format.fixed(Double(last.validationLoss), 4)) < H = \(Format.fixed(entropy, 4))")
        nb.check("the validation loss fell more than 1 nat below ln 65, the uniform guess", uniform - Double(last.validationLoss) > 1,
                 "\(Format.fixed(Double(last.validationLoss), 4)) = ln 65 − \(Format.fixed(uniform - Double(last.validationLoss), 4))")
        let passed = Double(last.validationLoss) < yardsticks.bigramValidation
        nb.prose(passed ? """
            It has also passed the bigram table's \(Format.fixed(yardsticks.bigramValidation, 4)) on validation: it uses
            more than the previous character.
            """ : """
            It has not reached the bigram table's \(Format.fixed(yardsticks.bigramValidation, 4)) on validation: after
            \(iterations) steps this model of a few thousand weights knows less about which character
            follows which than a table of character pairs does, and its text below reads like it.
            The full run at the end passes that line by far.
            """)
        nb.say("validation loss \(Format.fixed(Double(last.validationLoss), 4)); bigram table \(Format.fixed(yardsticks.bigramValidation, 4))")
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
        nb.prose("""
            (The run above used \(threads) thread(s), so the rerun on \(threads) is a determinism check
            of one code path; the rerun on \(threads == 1 ? 2 : 1) is the test that the thread count does not
            change the bits.)
            """)
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
                         .init("unigram entropy H", points: [(0, entropy), (Double(iterations), entropy)], color: "#888888", dashed: true),
                         .init("bigram table (validation)",
                               points: [(0, yardsticks.bigramValidation), (Double(iterations), yardsticks.bigramValidation)],
                               color: "#2ca02c", dashed: true)])
            try plot.svg().write(to: Self.root.appendingPathComponent(figurePath), atomically: true, encoding: .utf8)
        }
        nb.figure(figurePath, caption: """
            The run above (seed 11, 250 steps): the loss on fixed batches of each split every 25 steps,
            the unigram entropy of the text and the bigram table's validation loss. Written by `chapter11 --write-page`, which
            `swift run pages` runs.
            """)
        return (trainer, source)
    }
}
