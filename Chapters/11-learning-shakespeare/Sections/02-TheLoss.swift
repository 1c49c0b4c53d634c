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
    /// The next-token loss, the tiny model and the training settings.
    func theLoss(_ nb: Notebook, tokenizer: CharacterTokenizer) throws
        -> (config: RetNetConfig, initial: RetNet<Float>, settings: TrainingConfiguration) {
        nb.section("The loss")
        nb.prose("""
            A batch is M windows (M for a batch, as in chapter 09; B stays the chunk size) of
            context + 1 consecutive characters, each starting at a random
            offset (seeded: batch k is drawn from the seed and k alone). What is trained is *exact*
            retention, (QKᵀ ⊙ D)V, without the paper's normalisations D̃ and R̃ (chapter 06: they
            vanish after the per-head norm only at ε = 0, and torchscale's three modes are three
            different functions at its ε = 10⁻⁶). For exact retention the three forms compute the
            same function and the same gradients (chapter 10), so the model reads a window in the
            parallel form — 17 tokens are short; the paper measures its training cost chunkwise at
            8k tokens, and trains its language models on 2,048-token sequences. The loss is the mean
            cross-entropy of each position's logits against the character that follows:
            """)
        nb.equation("L = 1/(M·T) Σ_j Σ_t ( logsumexp(ℓ_{j,t}) − ℓ_{j,t}[x_{j,t+1}] )",
                    latex: #"L = \frac{1}{M\,T} \sum_j \sum_t \Big( \operatorname{logsumexp}(\ell_{j,t}) - \ell_{j,t}[x_{j,t+1}] \Big)"#)
        let config = RetNetConfig(variant: .torchscale, embedDim: 16, valueEmbedDim: 32, retentionHeads: 2, ffnEmbedDim: 32,
                                  layers: 1, vocabSize: tokenizer.count)
        let initial = try RetNet<Float>.random(config: config, seed: seed)
        var settings = TrainingConfiguration()
        (settings.iterations, settings.batchSize, settings.context) = (iterations, 4, 16)
        (settings.learningRate, settings.minLearningRate, settings.warmupIterations) = (1e-2, 1e-3, 20)
        (settings.evalInterval, settings.evalIterations, settings.seed) = (25, 8, seed)
        let parameterCount = initial.parameters.reduce(0) { $0 + $1.values.count }
        nb.say("model: torchscale's variant, E = 16, 2 heads, V = 32, FFN 32, 1 layer: \(Format.grouped(parameterCount)) parameters",
               "batch: M = \(settings.batchSize) windows of T = \(settings.context) predictions (\(settings.context + 1) characters)")
        let probe = try initial.logits(try tokenizer.encode("ROMEO:\nO, she doth teach the torches to burn bright!"))
        let mean = probe.storage.reduce(0.0) { $0 + Double($1) } / Double(probe.storage.count)
        let spread = (probe.storage.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(probe.storage.count))
            .squareRoot()
        nb.prose("""
            A fresh model is not a uniform guess. Its embeddings are scaled by √E and its output
            projection has entries of size E^{-1/2}, so its logits are of order 1 — on a line of
            Romeo, their standard deviation is:
            """)
        nb.say("initial logits: standard deviation \(Format.fixed(spread, 3)) over \(probe.rows)×\(probe.columns) entries")
        nb.check("the untrained logits are far from equal (standard deviation above 0.5)", spread > 0.5, Format.fixed(spread, 3))
        nb.prose("""
            Random logits of that size put most of the probability on a few characters chosen at
            random: the untrained model is confidently wrong, and its loss starts above ln 65, the
            loss of the uniform guess. The first half-nat or so of training only cools these logits.
            """)
        return (config, initial, settings)
    }
}
