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
    /// The trained model saved as a torchscale checkpoint and loaded back. Returns the loaded model.
    func checkpoint(_ nb: Notebook, trainer: Trainer<RetNet<Float>>, trained: RetNet<Float>, tokenizer: CharacterTokenizer)
        throws -> RetNet<Float> {
        nb.section("A checkpoint in torchscale's format")
        nb.prose("""
            `retnet train` writes a checkpoint after every evaluation: config.json and
            model.safetensors in torchscale's layout and names (chapter 07 reads torchscale's own
            files this way), the tokenizer, AdamW's moments and the run's settings. torchscale would
            load these weights, but it would not compute this model's function: it runs its
            normalised retention at ε = 10⁻⁶, where this model was trained with exact retention
            (chapter 07 measures that gap on a random model). Each file is
            written to a temporary name and renamed, so a crash never leaves half a checkpoint, and a
            directory that exists and is not a checkpoint is refused. Save the trained model and load
            it back with chapter 07's reader of torchscale checkpoints: the logits must be the same
            bits. (Writer and reader are this package's; what this checks is that nothing is lost on
            the way through the files.)
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
        if writeFixture {
            try FileManager.default.createDirectory(at: Self.fixture, withIntermediateDirectories: true)
            for name in ["config.json", "model.safetensors", "tokenizer.json"] {
                let target = Self.fixture.appendingPathComponent(name)
                try? FileManager.default.removeItem(at: target)
                try FileManager.default.copyItem(at: directory.appendingPathComponent(name), to: target)
            }
        }
        try whatTorchscaleComputes(nb, trained: trained, tokenizer: tokenizer)
        return loaded
    }

    /// torchscale 0.3.0 itself on the trained weights (the committed fixture and the logits
    /// `record_trained_logits.py` recorded): our reproduction of each of its modes, and the gap
    /// between what it computes and what was trained.
    func whatTorchscaleComputes(_ nb: Notebook, trained: RetNet<Float>, tokenizer: CharacterTokenizer) throws {
        nb.prose("""
            What does torchscale itself compute with these weights? A copy of this checkpoint, from
            the run with the default flags (seed 11, 250 steps), is kept in
            `Tests/Fixtures/torchscale-trained/chapter11` (`chapter11 --write-fixture` writes it),
            and `record_trained_logits.py` ran torchscale 0.3.0 on it — loaded strictly, every
            weight and buffer — in its three modes on the line of Romeo, recording the logits. When
            this run is that run, the fixture must hold the weights trained above; then each of
            torchscale's modes is compared with this package's reproduction of that mode (chapter 07:
            exact retention times that mode's row factors), and with the function the model was
            trained as, exact retention:
            """)
        let stored = try TorchscaleCheckpoint(directory: Self.fixture).model(Float.self)
        if seed == 11 && iterations == 250 {
            let same = zip(stored.parameters, trained.parameters).allSatisfy { a, b in
                a.name == b.name && a.values.map(\.bitPattern) == b.values.map(\.bitPattern)
            } && stored.parameters.count == trained.parameters.count
            nb.check("the fixture holds the weights trained above, bit for bit", same,
                     same ? "\(trained.parameters.count) tensors"
                          : "they differ: rerun `swift run chapter11 --write-fixture` and record_trained_logits.py")
        } else {
            nb.say("(this run's flags differ from the recorded run's, seed 11 and 250 steps: what follows is the recorded model)")
        }
        let recorded = try RecordedLogits(contentsOf: Self.fixture.appendingPathComponent("logits.json"))
        let probe = try tokenizer.encode("ROMEO:\nO, she doth teach the torches to burn bright!")
        nb.check("torchscale ran on the same tokens", recorded.tokens == probe, "\(recorded.tokens.count) tokens")
        let b = recorded.chunkSize
        let exact = try stored.logits(probe).converted(to: Double.self)
        let modes: [(String, RetentionForm, RowScaling, Matrix<Double>?)] = [
            ("parallel", .parallel, .paper, recorded.parallel),
            ("recurrent", .recurrent, .decay, recorded.recurrent),
            ("chunkwise (B = \(b))", .chunkwise(chunkSize: b), .torchscaleChunkwise(chunkSize: b), recorded.chunkwise),
        ]
        let largest = recorded.parallelFloat64.storage.map(abs).max() ?? 1
        let precision = recorded.parallel.deviation(from: recorded.parallelFloat64).maxAbsolute / largest
        var rows: [[String]] = []
        for (name, form, scaling, theirs) in modes {
            guard let theirs else { continue }
            let ours = try stored.forward(probe, form: form, scaling: scaling).logits.converted(to: Double.self)
            rows.append([name, Format.scientific(ours.deviation(from: theirs).maxAbsolute / largest, 1),
                         Format.scientific(exact.deviation(from: theirs).maxAbsolute / largest, 1)])
            nb.check("our \(name) mode = torchscale's on the recorded trained weights (1e-5 of the largest logit)", ours, theirs,
                     tolerance: .relative(1e-5))
        }
        nb.table(["torchscale's mode", "ours, its factors: max |Δ| / max |logit|", "exact retention (as trained): max |Δ| / max |logit|"],
                 rows)
        let gap = modes.compactMap { mode -> Double? in
            guard let theirs = mode.3 else { return nil }
            return exact.deviation(from: theirs).maxAbsolute / largest
        }.max() ?? .infinity
        nb.prose("""
            torchscale's own float32 and float64 runs of this checkpoint differ by
            \(Format.scientific(precision, 1)) of the largest logit, so two float32 implementations of one function
            can differ by about twice that; 1e-5 keeps a margin and fails on any real difference. The
            last column answers the question: torchscale loads the trained weights and, at its
            ε = 10⁻⁶, computes in each mode a function slightly different from the exact retention
            the model was trained as — here \(Format.scientific(gap, 1)) of the largest logit at most, because
            the rows entering the per-head norm are far larger than ε, so the row factors almost
            cancel. A reader can run this checkpoint in torchscale and get the trained model's
            predictions to that precision:
            """)
        nb.check("torchscale's logits (each mode) lie within 1e-3 of the largest logit of the recorded trained model's", gap <= 1e-3,
                 "largest gap \(Format.scientific(gap, 1))")
    }
}
