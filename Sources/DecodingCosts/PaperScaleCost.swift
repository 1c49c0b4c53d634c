import Transformer

/// The token mixing of the paper's 6.7B RetNet and of a Transformer of the same shape, at one
/// context length: what the state and the KV cache hold and cost per decoded token. Only the
/// mixing: the two models hold the same weights by construction (`TransformerConfig`), so their
/// weight reads and weight multiply–adds are the same and cancel from a comparison (and the
/// FFN width and vocabulary are not among the sizes this comparison is about).
public struct MixingComparison: Sendable, Equatable {
    /// n, the tokens already seen.
    public let context: Int
    /// Bytes of the RetNet's state per sequence (any n).
    public let retentionStateBytes: Int
    /// Bytes of the Transformer's KV cache per sequence after n tokens.
    public let kvCacheBytes: Int
    /// Multiply–adds of retention per decoded token (any n).
    public let retentionMultiplyAdds: Int
    /// Multiply–adds of attention per decoded token at position n.
    public let attentionMultiplyAdds: Int
    /// The smallest n at which the KV cache holds more than the state.
    public let breakEvenContext: Int
}

extension DecodingCost {
    /// The paper's 6.7B configuration (Sun et al. 2023): hidden size 4096,
    /// 32 layers, 16 heads, so Q/K head width 4096/16 = 256 and, with V = 2·4096, V head width
    /// 512; fp16 elements (2 bytes).
    public static let paper6_7B = (layers: 32, heads: 16, keyDim: 256, valueDim: 512, elementBytes: 2)

    /// The cost model applied to `paper6_7B` at context n (per sequence; a batch of B holds and
    /// reads B times the state, B times the cache).
    public static func paper6_7B(context n: Int) throws(TransformerError) -> MixingComparison {
        let shape = paper6_7B
        let retention = try retentionMixing(layers: shape.layers, heads: shape.heads, keyDim: shape.keyDim,
                                            valueDim: shape.valueDim, elementBytes: shape.elementBytes)
        let attention = try attentionMixing(layers: shape.layers, heads: shape.heads, keyDim: shape.keyDim,
                                            valueDim: shape.valueDim, context: n, elementBytes: shape.elementBytes)
        return MixingComparison(context: n, retentionStateBytes: retention.bytes, kvCacheBytes: attention.bytes,
                                retentionMultiplyAdds: retention.multiplyAdds, attentionMultiplyAdds: attention.multiplyAdds,
                                breakEvenContext: try breakEvenContext(keyDim: shape.keyDim, valueDim: shape.valueDim))
    }
}
