import Layers
import Matrices
import MultiScaleRetention
import RetNetModel
import Transformer

/// How many weights a model holds: the entries of every array it stores, counted from the
/// arrays themselves (so that a comparison of sizes cannot drift from the models).
extension Transformer {
    /// Every stored weight: embeddings, each block's norms, W_Q, W_K, W_V, W_O and FFN, the
    /// final norm and the output projection.
    public var parameterCount: Int {
        embedTokens.storage.count + outputProjection.storage.count + layerNorm.parameterCount
            + blocks.reduce(0) { total, block in
                let a = block.attention
                return total + block.attentionLayerNorm.parameterCount + block.finalLayerNorm.parameterCount
                    + [a.qProj, a.kProj, a.vProj, a.outProj].reduce(0) { $0 + $1.storage.count } + block.ffn.parameterCount
            }
    }
}

extension RetNet {
    /// Every stored weight: embeddings, each block's norms, W_Q, W_K, W_V, W_G, W_O, the per-head
    /// norm's weights (GroupNorm; torchscale's RMSNorm has none) and FFN, the final norm and the
    /// output projection; with `config.biases` every bias too, and without `config.finalNorm` no
    /// final norm.
    public var parameterCount: Int {
        embedTokens.storage.count + outputProjection.storage.count + (config.finalNorm ? layerNorm.parameterCount : 0)
            + (outputBias?.count ?? 0)
            + blocks.reduce(0) { total, block in
                let r = block.retention
                let headNorm: Int
                switch r.headNorm {
                case .groupNorm(let w, let b, _): headNorm = w.count + b.count
                case .rms: headNorm = 0
                }
                return total + block.retentionLayerNorm.parameterCount + block.finalLayerNorm.parameterCount
                    + [r.qProj, r.kProj, r.vProj, r.gProj, r.outProj].reduce(0) { $0 + $1.storage.count } + headNorm
                    + block.ffn.parameterCount + (block.ffnBiases.map { $0.fc1.count + $0.fc2.count } ?? 0)
                    + (r.biases.map { $0.q.count + $0.k.count + $0.v.count + $0.g.count + $0.out.count } ?? 0)
            }
    }
}

extension BlockNorm {
    var parameterCount: Int {
        switch self {
        case .layerNorm(let w, let b, _): w.count + b.count
        case .rms(let w, _): w.count
        }
    }
}

extension FeedForward {
    var parameterCount: Int {
        switch self {
        case .plain(let fc1, let fc2, _): fc1.storage.count + fc2.storage.count
        case .glu(let fc1, let gate, let fc2, _): fc1.storage.count + gate.storage.count + fc2.storage.count
        }
    }
}
