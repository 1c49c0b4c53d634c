import Layers
import Matrices
import MultiScaleRetention

extension RetNet {
    /// Every weight under its checkpoint name, with its shape, in the order and with the names of
    /// `RetNetGradients.named`: entry i of one is the weight whose gradient is entry i of the
    /// other. Biases (`RetNetConfig.biases`) have no torchscale name and are not listed.
    public var named: [(name: String, shape: [Int], values: [E])] {
        RetNetGradients(weightsOf: self).named
    }

    /// The same model with every weight named in `weights` replaced by the given values (row
    /// major; the configuration, decays, rotation and activations kept). Weights not named keep
    /// their values; biases are kept as they are.
    ///
    /// Throws `.argument` for a name the model does not have or given twice, `.weight` for values
    /// of another count than the weight's, and what the layers and the model check.
    public func with(named weights: [(name: String, values: [E])]) throws(RetNetError) -> RetNet {
        var replaced = RetNetGradients(weightsOf: self)
        try replaced.replace(named: weights, refusing: RetNetError.self)
        var newBlocks: [RetNetBlock<E>] = []
        for (i, (block, g)) in zip(blocks, replaced.blocks).enumerated() {
            let r = block.retention
            let headNorm: HeadNorm<E> = switch r.headNorm {
            case .groupNorm(_, _, let eps):
                .groupNorm(weight: g.retention.headNorm.weight, bias: g.retention.headNorm.bias, eps: eps)
            case .rms(let eps): .rms(eps: eps)
            }
            let retention: MultiScaleRetentionLayer<E>
            do {
                retention = try MultiScaleRetentionLayer(
                    heads: r.heads, qProj: g.retention.qProj, kProj: g.retention.kProj, vProj: g.retention.vProj,
                    gProj: g.retention.gProj, outProj: g.retention.outProj, headNorm: headNorm, gammas: r.gammas,
                    rotation: r.rotation, keyScale: r.keyScale, biases: r.biases)
            } catch {
                throw .layer(i, error)
            }
            newBlocks.append(RetNetBlock(retentionLayerNorm: block.retentionLayerNorm.with(weights: g.retentionLayerNorm),
                                         retention: retention,
                                         finalLayerNorm: block.finalLayerNorm.with(weights: g.finalLayerNorm),
                                         ffn: block.ffn.with(weights: g.ffn), ffnBiases: block.ffnBiases))
        }
        return try RetNet(config: config, embedTokens: replaced.embedTokens, blocks: newBlocks,
                          layerNorm: layerNorm.with(weights: replaced.layerNorm), outputProjection: replaced.outputProjection,
                          outputBias: outputBias)
    }
}

extension RetNetError: WeightRefusal {}
