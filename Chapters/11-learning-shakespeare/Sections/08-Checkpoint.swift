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
        return loaded
    }
}
