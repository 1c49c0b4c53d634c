import Matrices
import TestSupport
import RetNetModel
import Testing

/// The tiny configuration's vocabulary size.
let tinyVocabulary = 11

/// A tiny configuration: E = 8, V = 12, h = 2 (d_k = 4, d_v = 6), F = 10, L = 2, vocabulary 11.
func tinyConfig(_ variant: RetNetConfig.Variant, eps: Double = 0) -> RetNetConfig {
    RetNetConfig(variant: variant, embedDim: 8, valueEmbedDim: 12, retentionHeads: 2, ffnEmbedDim: 10, layers: 2,
                 vocabSize: tinyVocabulary, layernormEps: eps, activationFn: variant == .paper ? .gelu : .swish,
                 noScaleEmbedding: variant == .paper, recurrentChunkSize: 3)
}

func tinyModel(_ variant: RetNetConfig.Variant, eps: Double = 0, seed: UInt64 = 1) throws -> RetNet<Double> {
    try RetNet<Double>.random(config: tinyConfig(variant, eps: eps), seed: seed, normNoise: 0.2)
}
