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

    /// Every gradient under its weight's checkpoint name (torchscale's state-dict names for the
    /// torchscale variant, and the same scheme for the paper's LayerNorm biases and GroupNorm,
    /// `….bias` and `layers.i.retention.group_norm.weight/bias`), with its shape, in the order
    /// of torchscale's state dict.
    public var named: [(name: String, shape: [Int], values: [E])] {
        var out: [(name: String, shape: [Int], values: [E])] = []
        func matrix(_ name: String, _ m: Matrix<E>) { out.append((name, [m.rows, m.columns], m.storage)) }
        func norm(_ name: String, _ g: NormGradients<E>) {
            out.append((name + ".weight", [g.weight.count], g.weight))
            if !g.bias.isEmpty { out.append((name + ".bias", [g.bias.count], g.bias)) }
        }
        matrix("embed_tokens.weight", embedTokens)
        for (i, block) in blocks.enumerated() {
            let p = "layers.\(i)."
            let r = block.retention
            matrix(p + "retention.q_proj.weight", r.qProj)
            matrix(p + "retention.k_proj.weight", r.kProj)
            matrix(p + "retention.v_proj.weight", r.vProj)
            matrix(p + "retention.g_proj.weight", r.gProj)
            matrix(p + "retention.out_proj.weight", r.outProj)
            if !r.headNorm.weight.isEmpty {
                out.append((p + "retention.group_norm.weight", [r.headNorm.weight.count], r.headNorm.weight))
                out.append((p + "retention.group_norm.bias", [r.headNorm.bias.count], r.headNorm.bias))
            }
            norm(p + "retention_layer_norm", block.retentionLayerNorm)
            norm(p + "final_layer_norm", block.finalLayerNorm)
            matrix(p + "ffn.fc1.weight", block.ffn.fc1)
            matrix(p + "ffn.fc2.weight", block.ffn.fc2)
            if let gate = block.ffn.gate { matrix(p + "ffn.gate.weight", gate) }
        }
        norm("layer_norm", layerNorm)
        matrix("output_projection.weight", outputProjection)
        return out
    }
}
