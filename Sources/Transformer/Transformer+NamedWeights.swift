import Layers
import Matrices

extension Transformer {
    /// Every weight under its checkpoint name, with its shape, in the order and with the names of
    /// `TransformerGradients.named`: entry i of one is the weight whose gradient is entry i of
    /// the other.
    public var named: [(name: String, shape: [Int], values: [E])] {
        TransformerGradients(weightsOf: self).named
    }

    /// The same model with every weight named in `weights` replaced by the given values (row
    /// major; the configuration, the rotation and the activations kept). Weights not named keep
    /// their values.
    ///
    /// Throws `.argument` for a name the model does not have or given twice, and `.weight` for
    /// values of another count than the weight's.
    public func with(named weights: [(name: String, values: [E])]) throws(TransformerError) -> Transformer {
        var replaced = TransformerGradients(weightsOf: self)
        try replaced.replace(named: weights, refusing: TransformerError.self)
        var newBlocks: [TransformerBlock<E>] = []
        for (i, (block, g)) in zip(blocks, replaced.blocks).enumerated() {
            let a = block.attention
            let attention = try CausalSelfAttention(heads: a.heads, qProj: g.attention.qProj, kProj: g.attention.kProj,
                                                    vProj: g.attention.vProj, outProj: g.attention.outProj,
                                                    rotation: a.rotation, scoring: a.scoring, field: "layers.\(i).attention")
            newBlocks.append(TransformerBlock(attentionLayerNorm: block.attentionLayerNorm.with(weights: g.attentionLayerNorm),
                                              attention: attention,
                                              finalLayerNorm: block.finalLayerNorm.with(weights: g.finalLayerNorm),
                                              ffn: block.ffn.with(weights: g.ffn)))
        }
        return try Transformer(config: config, embedTokens: replaced.embedTokens, blocks: newBlocks,
                               layerNorm: layerNorm.with(weights: replaced.layerNorm),
                               outputProjection: replaced.outputProjection)
    }
}

extension TransformerError: WeightRefusal {}
