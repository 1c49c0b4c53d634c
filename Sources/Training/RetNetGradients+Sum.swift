import Layers
import Matrices
import MultiScaleRetention
import RetNetModel

extension RetNetGradients where E == Float {
    /// Adds `other` (gradients of the same model) entry by entry: the gradient of a sum of losses.
    mutating func add(_ other: RetNetGradients) {
        embedTokens += other.embedTokens
        outputProjection += other.outputProjection
        layerNorm.add(other.layerNorm)
        for i in blocks.indices {
            let o = other.blocks[i]
            blocks[i].retentionLayerNorm.add(o.retentionLayerNorm)
            blocks[i].finalLayerNorm.add(o.finalLayerNorm)
            blocks[i].retention.qProj += o.retention.qProj
            blocks[i].retention.kProj += o.retention.kProj
            blocks[i].retention.vProj += o.retention.vProj
            blocks[i].retention.gProj += o.retention.gProj
            blocks[i].retention.outProj += o.retention.outProj
            blocks[i].retention.headNorm.add(o.retention.headNorm)
            blocks[i].ffn.fc1 += o.ffn.fc1
            blocks[i].ffn.fc2 += o.ffn.fc2
            if let gate = o.ffn.gate { blocks[i].ffn.gate? += gate }
        }
    }

    /// Multiplies every entry by `factor` (1/B turns a sum over B sequences into a mean).
    mutating func scale(by factor: Float) {
        embedTokens = factor * embedTokens
        outputProjection = factor * outputProjection
        layerNorm.scale(by: factor)
        for i in blocks.indices {
            blocks[i].retentionLayerNorm.scale(by: factor)
            blocks[i].finalLayerNorm.scale(by: factor)
            let r = blocks[i].retention
            blocks[i].retention = MultiScaleRetentionGradients(
                qProj: factor * r.qProj, kProj: factor * r.kProj, vProj: factor * r.vProj, gProj: factor * r.gProj,
                outProj: factor * r.outProj, headNorm: r.headNorm)
            blocks[i].retention.headNorm.scale(by: factor)
            blocks[i].ffn.fc1 = factor * blocks[i].ffn.fc1
            blocks[i].ffn.fc2 = factor * blocks[i].ffn.fc2
            if let gate = blocks[i].ffn.gate { blocks[i].ffn.gate = factor * gate }
        }
    }
}

extension NormGradients where E == Float {
    mutating func add(_ other: NormGradients) {
        for i in weight.indices { weight[i] += other.weight[i] }
        for i in bias.indices { bias[i] += other.bias[i] }
    }

    mutating func scale(by factor: Float) {
        for i in weight.indices { weight[i] *= factor }
        for i in bias.indices { bias[i] *= factor }
    }
}
