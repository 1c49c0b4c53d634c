import Layers
import Matrices
import MultiScaleRetention

/// ∂L/∂ every weight of a RetNet, one gradient per stored weight and shaped as it is
/// (`embedTokens` [vocab, E], one `RetNetBlockGradients` per block, the final norm's,
/// `outputProjection` [vocab, E]): what `RetNet.gradients` returns. Backward passes add into it.
public struct RetNetGradients<E: RealScalar>: Equatable, Sendable, NamedTensors {
    public var embedTokens: Matrix<E>
    public var blocks: [RetNetBlockGradients<E>]
    public var layerNorm: NormGradients<E>
    public var outputProjection: Matrix<E>

    /// Gradients from their parts (each shaped as its weight: the caller's to ensure).
    package init(embedTokens: Matrix<E>, blocks: [RetNetBlockGradients<E>], layerNorm: NormGradients<E>, outputProjection: Matrix<E>) {
        (self.embedTokens, self.blocks, self.layerNorm, self.outputProjection) = (embedTokens, blocks, layerNorm, outputProjection)
    }

    /// Zero gradients shaped like `model`'s weights.
    public init(zeroFor model: RetNet<E>) {
        func zero(_ m: Matrix<E>) -> Matrix<E> { Matrix(rows: m.rows, columns: m.columns) }
        embedTokens = zero(model.embedTokens)
        blocks = model.blocks.map { RetNetBlockGradients(zeroFor: $0) }
        layerNorm = NormGradients(zeroFor: model.layerNorm)
        outputProjection = zero(model.outputProjection)
    }

    /// The model's own weights held in the gradients' structure (one array per stored weight,
    /// the same shapes): what the model's `named` view and `with(named:)` walk.
    package init(weightsOf model: RetNet<E>) {
        embedTokens = model.embedTokens
        blocks = model.blocks.map { block in
            let r = block.retention
            let headNorm: NormGradients<E> = switch r.headNorm {
            case .groupNorm(let w, let b, _): NormGradients(weight: w, bias: b)
            case .rms: NormGradients(weight: [], bias: [])
            }
            return RetNetBlockGradients(
                retentionLayerNorm: NormGradients(weightsOf: block.retentionLayerNorm),
                retention: MultiScaleRetentionGradients(qProj: r.qProj, kProj: r.kProj, vProj: r.vProj, gProj: r.gProj,
                                                        outProj: r.outProj, headNorm: headNorm),
                finalLayerNorm: NormGradients(weightsOf: block.finalLayerNorm), ffn: FeedForwardGradients(weightsOf: block.ffn))
        }
        layerNorm = NormGradients(weightsOf: model.layerNorm)
        outputProjection = model.outputProjection
    }

    /// Every gradient under its weight's checkpoint name (torchscale's state-dict names for the
    /// torchscale variant, and the same scheme for the paper's LayerNorm biases and GroupNorm,
    /// `….bias` and `layers.i.retention.group_norm.weight/bias`), with its shape, in the order
    /// of torchscale's state dict.
    public var named: [(name: String, shape: [Int], values: [E])] { namedTensors }

    /// Calls `body` with every tensor's name, shape and values, in the order of `named`; `body`
    /// may replace the values by as many others. The one place the RetNet's weight names are
    /// spelled: `named`, the model's `named` and `with(named:)`, and the sums of gradients walk it.
    package mutating func forEachTensor<Failure: Error>(_ body: (String, [Int], inout [E]) throws(Failure) -> Void)
        throws(Failure)
    {
        try embedTokens.visit("embed_tokens.weight", body)
        for i in blocks.indices {
            let p = "layers.\(i)."
            try blocks[i].retention.qProj.visit(p + "retention.q_proj.weight", body)
            try blocks[i].retention.kProj.visit(p + "retention.k_proj.weight", body)
            try blocks[i].retention.vProj.visit(p + "retention.v_proj.weight", body)
            try blocks[i].retention.gProj.visit(p + "retention.g_proj.weight", body)
            try blocks[i].retention.outProj.visit(p + "retention.out_proj.weight", body)
            if !blocks[i].retention.headNorm.weight.isEmpty {
                // GroupNorm's w and b (torchscale's weightless RMSNorm has none).
                try blocks[i].retention.headNorm.visit(p + "retention.group_norm", body)
            }
            try blocks[i].retentionLayerNorm.visit(p + "retention_layer_norm", body)
            try blocks[i].finalLayerNorm.visit(p + "final_layer_norm", body)
            try blocks[i].ffn.visit(p + "ffn", body)
        }
        try layerNorm.visit("layer_norm", body)
        try outputProjection.visit("output_projection.weight", body)
    }
}
