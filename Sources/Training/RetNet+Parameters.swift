import Layers
import Matrices
import MultiScaleRetention
import RetNetModel

extension RetNet where E == Float {
    /// Every weight under its checkpoint name, in the order and with the names of
    /// `RetNetGradients.named` (torchscale's state-dict names): the parameters an optimiser
    /// updates, one `NamedTensor` per gradient.
    public var parameters: [NamedTensor] {
        var out: [NamedTensor] = []
        func matrix(_ name: String, _ m: Matrix<Float>) { out.append(NamedTensor(name: name, shape: [m.rows, m.columns], values: m.storage)) }
        func vector(_ name: String, _ v: [Float]) { out.append(NamedTensor(name: name, shape: [v.count], values: v)) }
        func norm(_ name: String, _ n: BlockNorm<Float>) {
            switch n {
            case .layerNorm(let w, let b, _):
                vector(name + ".weight", w)
                vector(name + ".bias", b)
            case .rms(let w, _): vector(name + ".weight", w)
            }
        }
        matrix("embed_tokens.weight", embedTokens)
        for (i, block) in blocks.enumerated() {
            let p = "layers.\(i).", r = block.retention
            matrix(p + "retention.q_proj.weight", r.qProj)
            matrix(p + "retention.k_proj.weight", r.kProj)
            matrix(p + "retention.v_proj.weight", r.vProj)
            matrix(p + "retention.g_proj.weight", r.gProj)
            matrix(p + "retention.out_proj.weight", r.outProj)
            if case .groupNorm(let w, let b, _) = r.headNorm {
                vector(p + "retention.group_norm.weight", w)
                vector(p + "retention.group_norm.bias", b)
            }
            norm(p + "retention_layer_norm", block.retentionLayerNorm)
            norm(p + "final_layer_norm", block.finalLayerNorm)
            switch block.ffn {
            case .plain(let fc1, let fc2, _):
                matrix(p + "ffn.fc1.weight", fc1)
                matrix(p + "ffn.fc2.weight", fc2)
            case .glu(let fc1, let gate, let fc2, _):
                matrix(p + "ffn.fc1.weight", fc1)
                matrix(p + "ffn.fc2.weight", fc2)
                matrix(p + "ffn.gate.weight", gate)
            }
        }
        norm("layer_norm", layerNorm)
        matrix("output_projection.weight", outputProjection)
        return out
    }

    /// The same model with every weight replaced by the tensor of its name in `parameters`
    /// (the configuration, decays and rotation kept). Throws `.weight` for a missing name or a
    /// tensor of another shape, and `.argument` for a name the model does not have.
    public func with(parameters: [NamedTensor]) throws(RetNetError) -> RetNet {
        var byName: [String: NamedTensor] = [:]
        for tensor in parameters { byName[tensor.name] = tensor }
        let expected = self.parameters
        let known = Set(expected.map(\.name))
        if let stray = parameters.first(where: { !known.contains($0.name) }) {
            throw .argument(name: "parameters", expected: "the model's weight names", got: "'\(stray.name)'")
        }
        for wanted in expected {
            guard let given = byName[wanted.name] else {
                throw .weight(field: wanted.name, expected: "a tensor of shape \(wanted.shape)", got: "none")
            }
            guard given.shape == wanted.shape && given.values.count == wanted.values.count else {
                throw .weight(field: wanted.name, expected: "shape \(wanted.shape)", got: "\(given.shape), \(given.values.count) values")
            }
        }
        // Every name and shape was checked above.
        func matrix(_ name: String) -> Matrix<Float> {
            let t = byName[name]!
            return Matrix(rows: t.shape[0], columns: t.shape[1], entries: t.values)
        }
        func vector(_ name: String) -> [Float] { byName[name]!.values }
        func norm(_ name: String, like n: BlockNorm<Float>) -> BlockNorm<Float> {
            switch n {
            case .layerNorm(_, _, let eps): .layerNorm(weight: vector(name + ".weight"), bias: vector(name + ".bias"), eps: eps)
            case .rms(_, let eps): .rms(weight: vector(name + ".weight"), eps: eps)
            }
        }
        var replaced: [RetNetBlock<Float>] = []
        for (i, block) in blocks.enumerated() {
            let p = "layers.\(i).", r = block.retention
            let headNorm: HeadNorm<Float> = switch r.headNorm {
            case .groupNorm(_, _, let eps):
                .groupNorm(weight: vector(p + "retention.group_norm.weight"), bias: vector(p + "retention.group_norm.bias"), eps: eps)
            case .rms(let eps): .rms(eps: eps)
            }
            let retention: MultiScaleRetentionLayer<Float>
            do {
                retention = try MultiScaleRetentionLayer(
                    heads: r.heads, qProj: matrix(p + "retention.q_proj.weight"), kProj: matrix(p + "retention.k_proj.weight"),
                    vProj: matrix(p + "retention.v_proj.weight"), gProj: matrix(p + "retention.g_proj.weight"),
                    outProj: matrix(p + "retention.out_proj.weight"), headNorm: headNorm, gammas: r.gammas,
                    rotation: r.rotation, keyScale: r.keyScale)
            } catch {
                throw .layer(i, error)
            }
            let ffn: FeedForward<Float> = switch block.ffn {
            case .plain(_, _, let a): .plain(fc1: matrix(p + "ffn.fc1.weight"), fc2: matrix(p + "ffn.fc2.weight"), activation: a)
            case .glu(_, _, _, let a):
                .glu(fc1: matrix(p + "ffn.fc1.weight"), gate: matrix(p + "ffn.gate.weight"), fc2: matrix(p + "ffn.fc2.weight"),
                     activation: a)
            }
            replaced.append(RetNetBlock(retentionLayerNorm: norm(p + "retention_layer_norm", like: block.retentionLayerNorm),
                                        retention: retention,
                                        finalLayerNorm: norm(p + "final_layer_norm", like: block.finalLayerNorm), ffn: ffn))
        }
        return try RetNet(config: config, embedTokens: matrix("embed_tokens.weight"), blocks: replaced,
                          layerNorm: norm("layer_norm", like: layerNorm), outputProjection: matrix("output_projection.weight"))
    }
}

extension RetNetGradients where E == Float {
    /// The gradients as `NamedTensor`s, named and ordered as `RetNet.parameters`.
    public var tensors: [NamedTensor] {
        named.map { NamedTensor(name: $0.name, shape: $0.shape, values: $0.values) }
    }
}
