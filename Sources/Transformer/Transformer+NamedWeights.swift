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
        var byName: [String: [E]] = [:]
        for (name, values) in weights {
            guard byName.updateValue(values, forKey: name) == nil else {
                throw .argument(name: "weights", expected: "each name once", got: "'\(name)' twice")
            }
        }
        var replaced = TransformerGradients(weightsOf: self)
        try replaced.forEachTensor { name, shape, values throws(TransformerError) in
            guard let given = byName.removeValue(forKey: name) else { return }
            guard given.count == values.count else {
                throw .weight(field: name, expected: "\(values.count) values (\(shape))", got: "\(given.count)")
            }
            values = given
        }
        if let stray = byName.keys.sorted().first {
            throw .argument(name: "weights", expected: "the model's weight names", got: "'\(stray)'")
        }
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
