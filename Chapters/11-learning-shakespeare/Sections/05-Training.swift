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
    func training(_ nb: Notebook, corpus: Corpus, initial: RetNet<Float>, settings: TrainingConfiguration, entropy: Double)
        throws -> (trainer: Trainer<RetNet<Float>>, source: ReferenceGradients) {
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
        return (trainer, source)
    }
}
