import Transformer

/// The token mixing of the paper's 6.7B RetNet and of the Transformer it is compared with, at one
/// context length: what the state and the KV cache hold and cost per decoded token. Only the
/// mixing: the two models hold the same weights (12E² per layer each, Sec. 3.1), so their weight
/// reads and weight multiply–adds are the same and cancel from a comparison.
public struct MixingComparison: Sendable, Equatable {
    /// n, the tokens already seen.
    public let context: Int
    /// Bytes of the RetNet's state per sequence (any n).
    public let retentionStateBytes: Int
    /// Bytes of the Transformer's KV cache per sequence after n tokens.
    public let kvCacheBytes: Int
    /// Bytes one token adds to the KV cache (what a decoding step writes).
    public let kvRowBytes: Int
    /// Multiply–adds of retention per decoded token (any n).
    public let retentionMultiplyAdds: Int
    /// Multiply–adds of attention per decoded token at position n.
    public let attentionMultiplyAdds: Int
    /// The smallest n at which the KV cache holds more than the state.
    public let breakEvenContext: Int
}

extension DecodingCost {
    /// The paper's 6.7B models (Sun et al. 2023, Sec. 3.1 and Table 2): hidden size E = 4096,
    /// 32 layers, 16 heads, fp16 elements (2 bytes). The RetNet widens its values to V = 2E —
    /// Q/K head width 4096/16 = 256, V head width 512 — and pays for W_G and the wider W_V with an
    /// FFN of 2E. The Transformer it is compared with is the standard one: multi-head attention
    /// with W_V ∈ R^{E×E} (V head width 256) and an FFN of 4E. Both hold 12E² weights per layer.
    public static let paper6_7B = (layers: 32, heads: 16, keyDim: 256, valueDim: 512, transformerValueDim: 256, elementBytes: 2)

    /// The cost model applied to `paper6_7B` at context n (per sequence; a batch of B holds and
    /// reads B times the state, B times the cache). `kvHeads` below 16 makes the Transformer
    /// share each key and value head among 16/kvHeads query heads (grouped-query attention).
    public static func paper6_7B(context n: Int, kvHeads: Int? = nil) throws(TransformerError) -> MixingComparison {
        let shape = paper6_7B
        let retention = try retentionMixing(layers: shape.layers, heads: shape.heads, keyDim: shape.keyDim,
                                            valueDim: shape.valueDim, elementBytes: shape.elementBytes)
        let attention = try attentionMixing(layers: shape.layers, heads: shape.heads, kvHeads: kvHeads, keyDim: shape.keyDim,
                                            valueDim: shape.transformerValueDim, context: n, elementBytes: shape.elementBytes)
        let row = try attentionMixing(layers: shape.layers, heads: shape.heads, kvHeads: kvHeads, keyDim: shape.keyDim,
                                      valueDim: shape.transformerValueDim, context: 1, elementBytes: shape.elementBytes)
        let shared = kvHeads ?? shape.heads
        let breakEven = try breakEvenContext(stateElements: shape.heads * shape.keyDim * shape.valueDim,
                                             cacheElementsPerToken: shared * (shape.keyDim + shape.transformerValueDim))
        return MixingComparison(context: n, retentionStateBytes: retention.bytes, kvCacheBytes: attention.bytes,
                                kvRowBytes: row.bytes, retentionMultiplyAdds: retention.multiplyAdds,
                                attentionMultiplyAdds: attention.multiplyAdds, breakEvenContext: breakEven)
    }
}
