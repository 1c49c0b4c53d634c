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
        return loaded
    }
}
