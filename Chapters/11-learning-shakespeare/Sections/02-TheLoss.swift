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
        return (config, initial, settings)
    }
}
