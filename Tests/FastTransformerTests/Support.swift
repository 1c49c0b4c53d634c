import DecodingCosts
import FastTransformer
import Matrices
import RetNetModel
import TestSupport
import Transformer

/// Small: E = 32, V = 64, two heads (d_k = 16, d_v = 32), two layers, vocabulary 50; the
/// paper variant (LayerNorm, plain GELU FFN) or torchscale's (RMSNorm, GLU swish FFN).
func smallConfig(_ variant: RetNetConfig.Variant) -> TransformerConfig {
    TransformerConfig(matching: RetNetConfig(variant: variant, embedDim: 32, valueEmbedDim: 64, retentionHeads: 2,
                                             ffnEmbedDim: 48, layers: 2, vocabSize: 50,
                                             activationFn: variant == .paper ? .gelu : .swish))
}

/// Wide enough that every threaded path splits and every vector path has a tail: E = 64, four
/// heads (d_k = 16, d_v = 25: a 16-column block and 9 single columns), vocabulary 130 (three
/// 64-column panels in the output projection).
func wideConfig(_ variant: RetNetConfig.Variant = .torchscale) -> TransformerConfig {
    TransformerConfig(matching: RetNetConfig(variant: variant, embedDim: 64, valueEmbedDim: 100, retentionHeads: 4,
                                             ffnEmbedDim: 150, layers: 2, vocabSize: 130, activationFn: .gelu))
}

func models(_ config: TransformerConfig, seed: UInt64) throws -> (double: Transformer<Double>, float: Transformer<Float>) {
    (try Transformer<Double>.random(config: config, seed: seed, normNoise: 0.2),
     try Transformer<Float>.random(config: config, seed: seed, normNoise: 0.2))
}

/// Row b of a B×vocab logits buffer, as a 1×vocab matrix.
func row(_ logits: [Float], _ b: Int, vocabulary: Int) -> Matrix<Float> {
    Matrix(rows: 1, columns: vocabulary, entries: Array(logits[(b * vocabulary)..<((b + 1) * vocabulary)]))
}
