import Matrices
import RetNetModel

/// A tiny RetNet configuration: E = 8, V = 12, h = 2 (d_k = 4, d_v = 6), F = 10, L = 2, vocabulary 11.
func tinyConfig(_ variant: RetNetConfig.Variant) -> RetNetConfig {
    RetNetConfig(variant: variant, embedDim: 8, valueEmbedDim: 12, retentionHeads: 2, ffnEmbedDim: 10, layers: 2,
                 vocabSize: 11, layernormEps: 1e-6, activationFn: variant == .paper ? .gelu : .swish,
                 noScaleEmbedding: variant == .paper, recurrentChunkSize: 3)
}

/// The bytes an array of matrices occupies: what a model holds, element by element.
func bytes<E>(_ matrices: [Matrix<E>]) -> Int {
    matrices.reduce(0) { $0 + $1.storage.count * MemoryLayout<E>.stride }
}
