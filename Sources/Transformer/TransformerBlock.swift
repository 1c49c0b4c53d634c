import Layers
import Matrices

/// One Transformer decoder block, pre-norm with residuals — the RetNet block with softmax
/// attention in place of multi-scale retention:
///
///     Y = Attn(Norm(X)) + X
///     X′ = FFN(Norm(Y)) + Y
public struct TransformerBlock<E: RealScalar>: Sendable, Equatable {
    public let attentionLayerNorm: BlockNorm<E>
    public let attention: CausalSelfAttention<E>
    public let finalLayerNorm: BlockNorm<E>
    public let ffn: FeedForward<E>

    public init(attentionLayerNorm: BlockNorm<E>, attention: CausalSelfAttention<E>, finalLayerNorm: BlockNorm<E>,
                ffn: FeedForward<E>) {
        self.attentionLayerNorm = attentionLayerNorm
        self.attention = attention
        self.finalLayerNorm = finalLayerNorm
        self.ffn = ffn
    }

    /// X′ for a whole sequence X (n×E) from position 0, and the layer's cache after it.
    /// Throws `.argument` unless X has E columns.
    public func callAsFunction(_ x: Matrix<E>) throws(TransformerError) -> (output: Matrix<E>, cache: AttentionCache<E>) {
        try checkWidth(x)
        let attended = try attention(attentionLayerNorm.apply(x))
        let y = attended.output + x
        return (ffn(finalLayerNorm.apply(y)) + y, attended.cache)
    }

    /// X′ for one new row per sequence (B×E), each against its own cache (see
    /// `CausalSelfAttention.step`).
    /// Throws what `CausalSelfAttention.step` throws.
    public func step(_ x: Matrix<E>, caches: inout [AttentionCache<E>]) throws(TransformerError) -> Matrix<E> {
        try checkWidth(x)
        let y = try attention.step(attentionLayerNorm.apply(x), caches: &caches) + x
        return ffn(finalLayerNorm.apply(y)) + y
    }

    /// The norms trap on a row of another width: checked first, as a typed error.
    func checkWidth(_ x: Matrix<E>) throws(TransformerError) {
        guard x.columns == attention.embedDimension else {
            throw .argument(name: "x", expected: "\(attention.embedDimension) columns (E)", got: "\(x.shape)")
        }
    }
}
