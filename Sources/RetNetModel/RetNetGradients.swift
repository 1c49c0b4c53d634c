import Layers
import Matrices
import MultiScaleRetention

/// ∂L/∂ every weight of a RetNet, one gradient per stored weight and shaped as it is
/// (`embedTokens` [vocab, E], one `RetNetBlockGradients` per block, the final norm's,
/// `outputProjection` [vocab, E]): what `RetNet.gradients` returns. Backward passes add into it.
public struct RetNetGradients<E: RealScalar>: Equatable, Sendable {
    public var embedTokens: Matrix<E>
    public var blocks: [RetNetBlockGradients<E>]
    public var layerNorm: NormGradients<E>
    public var outputProjection: Matrix<E>

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
        func norm(_ n: BlockNorm<E>) -> NormGradients<E> {
            switch n {
            case .layerNorm(let w, let b, _): NormGradients(weight: w, bias: b)
            case .rms(let w, _): NormGradients(weight: w, bias: [])
            }
        }
        func ffn(_ f: FeedForward<E>) -> FeedForwardGradients<E> {
            switch f {
            case .plain(let fc1, let fc2, _): FeedForwardGradients(fc1: fc1, gate: nil, fc2: fc2)
            case .glu(let fc1, let gate, let fc2, _): FeedForwardGradients(fc1: fc1, gate: gate, fc2: fc2)
            }
        }
        embedTokens = model.embedTokens
        blocks = model.blocks.map { block in
            let r = block.retention
            let headNorm: NormGradients<E> = switch r.headNorm {
            case .groupNorm(let w, let b, _): NormGradients(weight: w, bias: b)
            case .rms: NormGradients(weight: [], bias: [])
            }
            return RetNetBlockGradients(
                retentionLayerNorm: norm(block.retentionLayerNorm),
                retention: MultiScaleRetentionGradients(qProj: r.qProj, kProj: r.kProj, vProj: r.vProj, gProj: r.gProj,
                                                        outProj: r.outProj, headNorm: headNorm),
                finalLayerNorm: norm(block.finalLayerNorm), ffn: ffn(block.ffn))
        }
        layerNorm = norm(model.layerNorm)
        outputProjection = model.outputProjection
    }

    /// Every gradient under its weight's checkpoint name (torchscale's state-dict names for the
    /// torchscale variant, and the same scheme for the paper's LayerNorm biases and GroupNorm,
    /// `….bias` and `layers.i.retention.group_norm.weight/bias`), with its shape, in the order
    /// of torchscale's state dict.
    public var named: [(name: String, shape: [Int], values: [E])] {
        var out: [(name: String, shape: [Int], values: [E])] = []
        var copy = self
        copy.forEachTensor { name, shape, values in out.append((name, shape, values)) }
        return out
    }

    /// Calls `body` with every tensor's name, shape and values, in the order of `named`; `body`
    /// may replace the values by as many others. The one place the RetNet's weight names are
    /// spelled: `named`, the model's `named` and `with(named:)`, and the sums of gradients walk it.
    package mutating func forEachTensor<Failure: Error>(_ body: (String, [Int], inout [E]) throws(Failure) -> Void)
        throws(Failure)
    {
        func matrix(_ name: String, _ m: inout Matrix<E>) throws(Failure) {
            var values = m.storage
            try body(name, [m.rows, m.columns], &values)
            m = Matrix(rows: m.rows, columns: m.columns, entries: values)
        }
        func norm(_ name: String, _ g: inout NormGradients<E>) throws(Failure) {
            try body(name + ".weight", [g.weight.count], &g.weight)
            if !g.bias.isEmpty { try body(name + ".bias", [g.bias.count], &g.bias) }
        }
        try matrix("embed_tokens.weight", &embedTokens)
        for i in blocks.indices {
            let p = "layers.\(i)."
            try matrix(p + "retention.q_proj.weight", &blocks[i].retention.qProj)
            try matrix(p + "retention.k_proj.weight", &blocks[i].retention.kProj)
            try matrix(p + "retention.v_proj.weight", &blocks[i].retention.vProj)
            try matrix(p + "retention.g_proj.weight", &blocks[i].retention.gProj)
            try matrix(p + "retention.out_proj.weight", &blocks[i].retention.outProj)
            if !blocks[i].retention.headNorm.weight.isEmpty {
                try body(p + "retention.group_norm.weight", [blocks[i].retention.headNorm.weight.count],
                         &blocks[i].retention.headNorm.weight)
                try body(p + "retention.group_norm.bias", [blocks[i].retention.headNorm.bias.count],
                         &blocks[i].retention.headNorm.bias)
            }
            try norm(p + "retention_layer_norm", &blocks[i].retentionLayerNorm)
            try norm(p + "final_layer_norm", &blocks[i].finalLayerNorm)
            try matrix(p + "ffn.fc1.weight", &blocks[i].ffn.fc1)
            try matrix(p + "ffn.fc2.weight", &blocks[i].ffn.fc2)
            if var gate = blocks[i].ffn.gate {
                try matrix(p + "ffn.gate.weight", &gate)
                blocks[i].ffn.gate = gate
            }
        }
        try norm("layer_norm", &layerNorm)
        try matrix("output_projection.weight", &outputProjection)
    }
}
