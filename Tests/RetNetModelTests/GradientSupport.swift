import Layers
import Matrices
import MultiScaleRetention
import RetNetModel

extension RetNet<Double> {
    /// The model with the weight called `name` (its checkpoint name, as `RetNetGradients.named`
    /// names its gradient) replaced by `values`, row-major: how a test moves one weight at a time.
    func replacing(_ name: String, with values: [Double]) throws -> RetNet<Double> {
        func matrix(_ m: Matrix<Double>, _ key: String) -> Matrix<Double> {
            key == name ? Matrix(rows: m.rows, columns: m.columns, entries: values) : m
        }
        func vector(_ v: [Double], _ key: String) -> [Double] { key == name ? values : v }
        func norm(_ n: BlockNorm<Double>, _ key: String) -> BlockNorm<Double> {
            switch n {
            case .layerNorm(let w, let b, let eps):
                .layerNorm(weight: vector(w, key + ".weight"), bias: vector(b, key + ".bias"), eps: eps)
            case .rms(let w, let eps): .rms(weight: vector(w, key + ".weight"), eps: eps)
            }
        }
        var replaced: [RetNetBlock<Double>] = []
        for (i, block) in blocks.enumerated() {
            let p = "layers.\(i)."
            let r = block.retention
            let headNorm: HeadNorm<Double> = switch r.headNorm {
            case .groupNorm(let w, let b, let eps):
                .groupNorm(weight: vector(w, p + "retention.group_norm.weight"),
                           bias: vector(b, p + "retention.group_norm.bias"), eps: eps)
            case .rms: r.headNorm
            }
            let retention = try MultiScaleRetentionLayer(
                heads: r.heads, qProj: matrix(r.qProj, p + "retention.q_proj.weight"),
                kProj: matrix(r.kProj, p + "retention.k_proj.weight"), vProj: matrix(r.vProj, p + "retention.v_proj.weight"),
                gProj: matrix(r.gProj, p + "retention.g_proj.weight"),
                outProj: matrix(r.outProj, p + "retention.out_proj.weight"), headNorm: headNorm, gammas: r.gammas,
                rotation: r.rotation, keyScale: r.keyScale)
            let ffn: FeedForward<Double> = switch block.ffn {
            case .plain(let fc1, let fc2, let a):
                .plain(fc1: matrix(fc1, p + "ffn.fc1.weight"), fc2: matrix(fc2, p + "ffn.fc2.weight"), activation: a)
            case .glu(let fc1, let gate, let fc2, let a):
                .glu(fc1: matrix(fc1, p + "ffn.fc1.weight"), gate: matrix(gate, p + "ffn.gate.weight"),
                     fc2: matrix(fc2, p + "ffn.fc2.weight"), activation: a)
            }
            replaced.append(RetNetBlock(retentionLayerNorm: norm(block.retentionLayerNorm, p + "retention_layer_norm"),
                                        retention: retention, finalLayerNorm: norm(block.finalLayerNorm, p + "final_layer_norm"),
                                        ffn: ffn))
        }
        return try RetNet(config: config, embedTokens: matrix(embedTokens, "embed_tokens.weight"), blocks: replaced,
                          layerNorm: norm(layerNorm, "layer_norm"),
                          outputProjection: matrix(outputProjection, "output_projection.weight"))
    }

    /// Every weight under its checkpoint name, in `RetNetGradients.named`'s order (read from the
    /// zero gradients' names, so both lists name the same tensors).
    var namedWeights: [(name: String, values: [Double])] {
        RetNetGradients(zeroFor: self).named.map { entry in (entry.name, weight(entry.name)) }
    }

    /// The stored values of the weight called `name`.
    func weight(_ name: String) -> [Double] {
        if name == "embed_tokens.weight" { return embedTokens.storage }
        if name == "output_projection.weight" { return outputProjection.storage }
        func norm(_ n: BlockNorm<Double>, _ suffix: String) -> [Double] {
            switch n {
            case .layerNorm(let w, let b, _): suffix == "weight" ? w : b
            case .rms(let w, _): w
            }
        }
        if name.hasPrefix("layer_norm.") { return norm(layerNorm, String(name.dropFirst("layer_norm.".count))) }
        let parts = name.split(separator: ".").map(String.init)  // layers, i, module, [sub,] weight|bias
        let block = blocks[Int(parts[1])!]
        let r = block.retention
        switch (parts[2], parts.count > 4 ? parts[3] : "") {
        case ("retention", "q_proj"): return r.qProj.storage
        case ("retention", "k_proj"): return r.kProj.storage
        case ("retention", "v_proj"): return r.vProj.storage
        case ("retention", "g_proj"): return r.gProj.storage
        case ("retention", "out_proj"): return r.outProj.storage
        case ("retention", "group_norm"):
            guard case .groupNorm(let w, let b, _) = r.headNorm else { return [] }
            return parts[4] == "weight" ? w : b
        case ("retention_layer_norm", _): return norm(block.retentionLayerNorm, parts[3])
        case ("final_layer_norm", _): return norm(block.finalLayerNorm, parts[3])
        case ("ffn", let sub):
            switch block.ffn {
            case .plain(let fc1, let fc2, _): return sub == "fc1" ? fc1.storage : fc2.storage
            case .glu(let fc1, let gate, let fc2, _):
                return sub == "fc1" ? fc1.storage : sub == "gate" ? gate.storage : fc2.storage
            }
        default: return []
        }
    }
}

/// A vector as a 1×n matrix, for `expectClose`.
func row(_ values: [Double]) -> Matrix<Double> { Matrix(rows: 1, columns: values.count, entries: values) }

/// Σ_ij A_ij W_ij for weights of any precision: see TestSupport's `weightedSum`.
func asMatrix(_ values: [Double], like shape: [Int]) -> Matrix<Double> {
    Matrix(rows: shape.count == 2 ? shape[0] : 1, columns: shape.last ?? 0, entries: values)
}
