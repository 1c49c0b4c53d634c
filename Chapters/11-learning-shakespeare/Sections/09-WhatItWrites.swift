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
    /// Samples before and after training.
    func whatItWrites(_ nb: Notebook, initial: RetNet<Float>, loaded: RetNet<Float>, tokenizer: CharacterTokenizer) throws {
        nb.section("What it writes")
        nb.prose("""
            Sampling reads the prompt chunkwise and decodes recurrently, one character at a time from
            the state (chapters 04 and 07), at temperature 0.8, on the kernels of chapter 08. Before
            training, the hot random logits make some characters far likelier than others, in no
            useful order; after a few hundred steps on a model of a few thousand weights, still short
            of the bigram table, the text has more spaces and line breaks and character pairs that
            occur in English — not yet words. The full run's samples, at the end, are the model that
            has learned.
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
    }
}
