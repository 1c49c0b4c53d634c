import FastRetNet
import Matrices
import RetNetModel
import TestSupport
import Testing

/// Ragged sizes: nothing is a multiple of 16 or of the 6×16 GEMM tile. E = 12, h = 3
/// (d_k = 4), V = 18 (d_v = 6), F = 22, L = 2, vocabulary 37.
func raggedConfig(_ variant: RetNetConfig.Variant) -> RetNetConfig {
    RetNetConfig(variant: variant, embedDim: 12, valueEmbedDim: 18, retentionHeads: 3, ffnEmbedDim: 22, layers: 2,
                 vocabSize: 37, layernormEps: 1e-6, activationFn: variant == .paper ? .gelu : .swish,
                 noScaleEmbedding: variant == .torchscale, recurrentChunkSize: 5)
}

/// Wide enough that every threaded path splits: E = 64, h = 4 (d_k = 16), V = 100 (d_v = 25),
/// F = 150, vocabulary 130 (three 64-column panels in a decoding step's output projection).
func wideConfig(_ variant: RetNetConfig.Variant) -> RetNetConfig {
    RetNetConfig(variant: variant, embedDim: 64, valueEmbedDim: 100, retentionHeads: 4, ffnEmbedDim: 150, layers: 2,
                 vocabSize: 130, layernormEps: 1e-6, activationFn: .gelu, recurrentChunkSize: 7)
}

func model(_ config: RetNetConfig, seed: UInt64 = 1) throws -> RetNet<Double> {
    try RetNet<Double>.random(config: config, seed: seed, normNoise: 0.2)
}
