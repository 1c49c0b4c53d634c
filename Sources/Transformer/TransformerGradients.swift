import Layers
import Matrices

/// ∂L/∂ the weights of one attention layer, each shaped as its weight: W_Q, W_K [E, E],
/// W_V [V, E], W_O [E, V].
public struct AttentionGradients<E: RealScalar>: Equatable, Sendable {
    public var qProj: Matrix<E>, kProj: Matrix<E>, vProj: Matrix<E>, outProj: Matrix<E>

    public init(qProj: Matrix<E>, kProj: Matrix<E>, vProj: Matrix<E>, outProj: Matrix<E>) {
        (self.qProj, self.kProj, self.vProj, self.outProj) = (qProj, kProj, vProj, outProj)
    }

    /// Zero gradients shaped like `attention`'s weights.
    public init(zeroFor attention: CausalSelfAttention<E>) {
        func zero(_ m: Matrix<E>) -> Matrix<E> { Matrix(rows: m.rows, columns: m.columns) }
        self.init(qProj: zero(attention.qProj), kProj: zero(attention.kProj), vProj: zero(attention.vProj),
                  outProj: zero(attention.outProj))
    }
}

/// ∂L/∂ every weight of one Transformer block, in the block's own structure.
public struct TransformerBlockGradients<E: RealScalar>: Equatable, Sendable {
    public var attentionLayerNorm: NormGradients<E>
    public var attention: AttentionGradients<E>
    public var finalLayerNorm: NormGradients<E>
    public var ffn: FeedForwardGradients<E>

    public init(attentionLayerNorm: NormGradients<E>, attention: AttentionGradients<E>, finalLayerNorm: NormGradients<E>,
                ffn: FeedForwardGradients<E>)
    {
        (self.attentionLayerNorm, self.attention, self.finalLayerNorm, self.ffn) = (attentionLayerNorm, attention,
                                                                                    finalLayerNorm, ffn)
    }

    /// Zero gradients shaped like `block`'s weights.
    public init(zeroFor block: TransformerBlock<E>) {
        self.init(attentionLayerNorm: NormGradients(zeroFor: block.attentionLayerNorm),
                  attention: AttentionGradients(zeroFor: block.attention),
                  finalLayerNorm: NormGradients(zeroFor: block.finalLayerNorm), ffn: FeedForwardGradients(zeroFor: block.ffn))
    }
}

/// ∂L/∂ every weight of a Transformer, one gradient per stored weight and shaped as it is
/// (`embedTokens` [vocab, E], one `TransformerBlockGradients` per block, the final norm's,
/// `outputProjection` [vocab, E]): what `Transformer.gradients` returns. Backward passes add
/// into it.
public struct TransformerGradients<E: RealScalar>: Equatable, Sendable, NamedTensors {
    public var embedTokens: Matrix<E>
    public var blocks: [TransformerBlockGradients<E>]
    public var layerNorm: NormGradients<E>
    public var outputProjection: Matrix<E>

    /// Gradients from their parts (each shaped as its weight: the caller's to ensure).
    package init(embedTokens: Matrix<E>, blocks: [TransformerBlockGradients<E>], layerNorm: NormGradients<E>, outputProjection: Matrix<E>) {
        (self.embedTokens, self.blocks, self.layerNorm, self.outputProjection) = (embedTokens, blocks, layerNorm, outputProjection)
    }

    /// Zero gradients shaped like `model`'s weights.
    public init(zeroFor model: Transformer<E>) {
        self.init(weightsOf: model)
        forEachTensor { _, _, values in values = [E](repeating: 0, count: values.count) }
    }

    /// The model's own weights held in the gradients' structure (one array per stored weight,
    /// the same shapes): what the model's `named` view and `with(named:)` walk.
    init(weightsOf model: Transformer<E>) {
        embedTokens = model.embedTokens
        blocks = model.blocks.map { block in
            let a = block.attention
            return TransformerBlockGradients(
                attentionLayerNorm: NormGradients(weightsOf: block.attentionLayerNorm),
                attention: AttentionGradients(qProj: a.qProj, kProj: a.kProj, vProj: a.vProj, outProj: a.outProj),
                finalLayerNorm: NormGradients(weightsOf: block.finalLayerNorm), ffn: FeedForwardGradients(weightsOf: block.ffn))
        }
        layerNorm = NormGradients(weightsOf: model.layerNorm)
        outputProjection = model.outputProjection
    }

    /// Every gradient under its weight's checkpoint name, with its shape: `embed_tokens.weight`;
    /// per layer i `layers.i.attention.{q,k,v,out}_proj.weight`,
    /// `layers.i.attention_layer_norm.weight` (and `.bias` for LayerNorm),
    /// `layers.i.final_layer_norm.…`, `layers.i.ffn.fc1.weight`, `….fc2.weight` (and
    /// `….gate.weight` for a GLU); `layer_norm.…`; `output_projection.weight`. The names follow
    /// the RetNet's (`RetNetGradients.named`) with `attention` for `retention`.
    public var named: [(name: String, shape: [Int], values: [E])] { namedTensors }

    /// Calls `body` with every tensor's name, shape and values, in the order of `named`; `body`
    /// may replace the values by as many others.
    package mutating func forEachTensor<Failure: Error>(_ body: (String, [Int], inout [E]) throws(Failure) -> Void) throws(Failure) {
        try embedTokens.visit("embed_tokens.weight", body)
        for i in blocks.indices {
            let p = "layers.\(i)."
            try blocks[i].attention.qProj.visit(p + "attention.q_proj.weight", body)
            try blocks[i].attention.kProj.visit(p + "attention.k_proj.weight", body)
            try blocks[i].attention.vProj.visit(p + "attention.v_proj.weight", body)
            try blocks[i].attention.outProj.visit(p + "attention.out_proj.weight", body)
            try blocks[i].attentionLayerNorm.visit(p + "attention_layer_norm", body)
            try blocks[i].finalLayerNorm.visit(p + "final_layer_norm", body)
            try blocks[i].ffn.visit(p + "ffn", body)
        }
        try layerNorm.visit("layer_norm", body)
        try outputProjection.visit("output_projection.weight", body)
    }
}
