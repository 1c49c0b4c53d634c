import DecodingCosts
import Matrices
import RetNetModel
import Transformer

let tinyVocabulary = 11

/// A tiny RetNet configuration: E = 8, V = 12, h = 2 (d_k = 4, d_v = 6), F = 10, L = 2, vocabulary 11.
func tinyConfig(_ variant: RetNetConfig.Variant) -> RetNetConfig {
    RetNetConfig(variant: variant, embedDim: 8, valueEmbedDim: 12, retentionHeads: 2, ffnEmbedDim: 10, layers: 2,
                 vocabSize: tinyVocabulary, layernormEps: 1e-6, activationFn: variant == .paper ? .gelu : .swish,
                 noScaleEmbedding: variant == .paper, recurrentChunkSize: 3)
}

func tinyTransformer(_ variant: RetNetConfig.Variant, seed: UInt64 = 1, scoring: AttentionScoring = .softmax) throws
    -> Transformer<Double>
{
    var config = TransformerConfig(matching: tinyConfig(variant))
    config.attention = scoring
    return try Transformer<Double>.random(config: config, seed: seed, normNoise: 0.2)
}
