import Layers
import Matrices
import Retention
import Tracing

/// Gated multi-scale retention (paper Sec. 2.2), one layer:
///
///     Q = (X W_Qᵀ) rotated,  K = (X W_Kᵀ) · d_k^{−1/2} rotated,  V = X W_Vᵀ,  G = X W_Gᵀ
///     head_i = Retention_{γ_i}(Q_i, K_i, V_i)                 (h heads, each its own γ_i)
///     Y = HeadNorm_h(Concat(head_1, …, head_h))
///     MSR(X) = (swish(G) ⊙ Y) W_Oᵀ
///
/// X is n×E (E = `decoder_embed_dim`); head i sees columns [i·d_k, (i+1)·d_k) of Q and K
/// (d_k = E/h, `key_dim`) and [i·d_v, (i+1)·d_v) of V (d_v = V/h, `head_dim`, V =
/// `decoder_value_embed_dim`: the paper uses V = 2E). The paper writes the key scaling as
/// QKᵀ/√d; torchscale applies it to k, as here (`keyScale`).
///
/// Each head runs in any of the three forms of the `Retention` module — parallel, recurrent or
/// chunkwise — which compute *exact* retention (Q Kᵀ ⊙ D) V and agree to rounding. The score
/// normalisations of the paper (and the row factors of torchscale's modes) are positive factors
/// per head and row that the per-head norm removes when its ε = 0; `RowScaling` applies them on
/// request, to measure what they do when ε > 0.
///
/// Weights are stored as checkpoints store them, [out, in]: `qProj`, `kProj` E×E, `vProj`,
/// `gProj` V×E, `outProj` E×V (torchscale's `q_proj.weight` … `out_proj.weight`). No biases,
/// unless `biases` holds them (yet-another-retnet's; `RetentionBiases`).
public struct MultiScaleRetentionLayer<E: RealScalar>: Sendable, Equatable {
    /// h, the number of heads.
    public let heads: Int
    /// W_Q [E, E], W_K [E, E], W_V [V, E], W_G [V, E], W_O [E, V], each [out, in].
    public let qProj: Matrix<E>, kProj: Matrix<E>, vProj: Matrix<E>, gProj: Matrix<E>, outProj: Matrix<E>
    /// The per-head norm (GroupNorm for the paper, weightless RMSNorm for torchscale).
    public let headNorm: HeadNorm<E>
    /// γ_i of each head, as given (Double), and as the decays the forms use.
    public let gammas: [Double]
    public let decays: [Decay<E>]
    /// The position rotation of Q and K.
    public let rotation: Rotation
    /// The factor K is multiplied by: d_k^{−1/2} in both variants (the paper's QKᵀ/√d).
    public let keyScale: E
    /// The five projections' biases, or nil for none (the paper's and torchscale's layers).
    public let biases: RetentionBiases<E>?

    /// E, the model width (`decoder_embed_dim`).
    public var embedDimension: Int { qProj.columns }
    /// V, the total value width (`decoder_value_embed_dim`).
    public var valueDimension: Int { vProj.rows }
    /// d_k = E/h (`key_dim`).
    public var keyDimension: Int { embedDimension / heads }
    /// d_v = V/h (`head_dim`).
    public var headDimension: Int { valueDimension / heads }

    /// A layer from its weights. Checks that h divides E and V, that d_k is even, every weight's
    /// shape, one γ in (0, 1] per head, the norm's width and ε ≥ 0, and the rotation's width.
    public init(heads: Int, qProj: Matrix<E>, kProj: Matrix<E>, vProj: Matrix<E>, gProj: Matrix<E>,
                outProj: Matrix<E>, headNorm: HeadNorm<E>, gammas: [Double], rotation: Rotation, keyScale: E,
                biases: RetentionBiases<E>? = nil)
        throws(MultiScaleRetentionError)
    {
        let e = qProj.columns, v = vProj.rows
        try Self.checkSizes(embedDimension: e, valueDimension: v, heads: heads)
        try MultiScaleRetentionError.requireShape(qProj, "q_proj.weight", rows: e, columns: e, "[E, E]")
        try MultiScaleRetentionError.requireShape(kProj, "k_proj.weight", rows: e, columns: e, "[E, E]")
        try MultiScaleRetentionError.requireShape(vProj, "v_proj.weight", rows: v, columns: e, "[V, E]")
        try MultiScaleRetentionError.requireShape(gProj, "g_proj.weight", rows: v, columns: e, "[V, E]")
        try MultiScaleRetentionError.requireShape(outProj, "out_proj.weight", rows: e, columns: v, "[E, V]")
        guard rotation.keyDimension == e / heads else {
            throw .invalid(field: "rotation", expected: "\(e / heads) columns (key_dim)", got: "\(rotation.keyDimension)")
        }
        guard gammas.count == heads else {
            throw .invalid(field: "gammas", expected: "\(heads) values (one per head)", got: "\(gammas.count)")
        }
        var decays: [Decay<E>] = []
        for (index, gamma) in gammas.enumerated() {
            do {
                decays.append(try Decay(E(gamma)))
            } catch {
                throw .invalid(field: "gammas[\(index)]", expected: "a decay in (0, 1]", got: "\(gamma)")
            }
        }
        let eps = headNorm.eps
        guard eps >= 0 && eps.isFinite else {
            throw .invalid(field: "layernorm_eps", expected: "a finite ε ≥ 0", got: "\(eps)")
        }
        if case .groupNorm(let weight, let bias, _) = headNorm, weight.count != v || bias.count != v {
            throw .invalid(field: "group_norm.weight/bias", expected: "\(v) entries each (V)",
                           got: "\(weight.count) and \(bias.count)")
        }
        guard keyScale > 0 && keyScale.isFinite else {
            throw .invalid(field: "keyScale", expected: "a finite factor > 0", got: "\(keyScale)")
        }
        try biases?.validate(embedDimension: e, valueDimension: v)
        self.heads = heads
        (self.qProj, self.kProj, self.vProj, self.gProj, self.outProj) = (qProj, kProj, vProj, gProj, outProj)
        self.headNorm = headNorm
        self.gammas = gammas
        self.decays = decays
        self.rotation = rotation
        self.keyScale = keyScale
        self.biases = biases
    }

    /// Throws unless h ≥ 1 divides E ≥ 1 and V ≥ 1 and E/h is even: the sizes a layer needs.
    package static func checkSizes(embedDimension e: Int, valueDimension v: Int, heads: Int) throws(MultiScaleRetentionError) {
        guard heads >= 1 else {
            throw .invalid(field: "decoder_retention_heads", expected: "at least 1", got: "\(heads)")
        }
        guard e >= 1 && e % heads == 0 else {
            throw .invalid(field: "decoder_embed_dim",
                           expected: "a positive multiple of decoder_retention_heads = \(heads)", got: "\(e)")
        }
        guard v >= 1 && v % heads == 0 else {
            throw .invalid(field: "decoder_value_embed_dim",
                           expected: "a positive multiple of decoder_retention_heads = \(heads)", got: "\(v)")
        }
        guard (e / heads) % 2 == 0 else {
            throw .invalid(field: "key_dim", expected: "an even decoder_embed_dim / decoder_retention_heads (the rotation acts on pairs)",
                           got: "\(e) / \(heads) = \(e / heads)")
        }
    }

    /// A layer with seeded Gaussian weights of torchscale's initial variances: Xavier,
    /// std = gain·√(2/(in + out)), with gain 2^{−2.5} for W_Q, W_K, W_V, W_G and 1 for W_O
    /// (torchscale draws uniformly with that variance; a Gaussian keeps the scale).
    public static func random(embedDimension e: Int, valueDimension v: Int, heads: Int, headNorm: HeadNorm<E>,
                              gammas: [Double], rotation: Rotation, using generator: inout SplitMix64)
        throws(MultiScaleRetentionError) -> MultiScaleRetentionLayer
    {
        try checkSizes(embedDimension: e, valueDimension: v, heads: heads)
        func xavier(_ out: Int, _ inn: Int, gain: Double) -> Matrix<E> {
            .gaussian(rows: out, columns: inn, scale: gain * (2 / Double(inn + out)).squareRoot(), using: &generator)
        }
        let small = Double.pow(2, -2.5)
        let q = xavier(e, e, gain: small), k = xavier(e, e, gain: small)
        let vw = xavier(v, e, gain: small), g = xavier(v, e, gain: small), o = xavier(e, v, gain: 1)
        return try MultiScaleRetentionLayer(
            heads: heads, qProj: q, kProj: k, vProj: vw, gProj: g, outProj: o, headNorm: headNorm, gammas: gammas,
            rotation: rotation, keyScale: 1 / E.sqrt(E(e / heads)))
    }

    /// The same layer with another per-head norm (e.g. another ε), or other key scale.
    public func with(headNorm: HeadNorm<E>? = nil, keyScale: E? = nil) throws(MultiScaleRetentionError)
        -> MultiScaleRetentionLayer
    {
        try MultiScaleRetentionLayer(heads: heads, qProj: qProj, kProj: kProj, vProj: vProj, gProj: gProj,
                                     outProj: outProj, headNorm: headNorm ?? self.headNorm, gammas: gammas,
                                     rotation: rotation, keyScale: keyScale ?? self.keyScale, biases: biases)
    }

    /// The layer in another precision (weights rounded; γ from the Double values).
    public func converted<Other: RealScalar>(to _: Other.Type = Other.self) throws(MultiScaleRetentionError)
        -> MultiScaleRetentionLayer<Other>
    {
        try MultiScaleRetentionLayer<Other>(
            heads: heads, qProj: qProj.converted(), kProj: kProj.converted(), vProj: vProj.converted(),
            gProj: gProj.converted(), outProj: outProj.converted(), headNorm: headNorm.converted(),
            gammas: gammas, rotation: rotation, keyScale: Other(keyScale), biases: biases?.converted())
    }

    /// The empty state: every head's S = 0 at position 0.
    public func emptyState() -> MultiScaleRetentionState<E> {
        MultiScaleRetentionState(heads: (0..<heads).map { _ in
            RetentionState(keyDimension: keyDimension, valueDimension: headDimension)
        })
    }

    /// MSR(X) and the state after X, for X (n×E) at positions state.position …; see `pass`.
    public func callAsFunction(_ x: Matrix<E>, form: RetentionForm = .parallel,
                               from state: MultiScaleRetentionState<E>? = nil, trace: Tracer<E>? = nil)
        throws(MultiScaleRetentionError) -> (output: Matrix<E>, state: MultiScaleRetentionState<E>)
    {
        let result = try pass(x, form: form, from: state, trace: trace)
        return (result.output, result.state)
    }

    /// Every stage of the layer for X (n×E), each head in `form`, starting from `state` (the empty
    /// state when nil), with the rows of head i multiplied by `scaling`'s factors before the norm.
    ///
    /// Throws `.invalid` when X is not n×E, the state does not fit this layer, the parallel form is
    /// asked to start from a non-empty state (continue with the recurrent or chunkwise form), or a
    /// scaling other than `.exact` is asked for after position 0 (its factors are defined for a
    /// sequence from its start); `.head` for a chunk size below 1.
    ///
    /// With a `trace`, records every stage with the paper's symbols (see `LayerTrace`): X, the
    /// weights and θ, the projections, each head in a group "head i · γᵢ = …" (its columns, and
    /// the retention form recording itself, given the same tracer), the heads side by side, the
    /// per-head norm, the swish gate and W_O. The numbers are the same with or without one.
    public func pass(_ x: Matrix<E>, form: RetentionForm = .parallel, from state: MultiScaleRetentionState<E>? = nil,
                     scaling: RowScaling = .exact, trace: Tracer<E>? = nil)
        throws(MultiScaleRetentionError) -> MultiScaleRetentionPass<E>
    {
        guard x.columns == embedDimension else {
            throw .invalid(field: "X", expected: "\(embedDimension) columns (decoder_embed_dim)", got: "\(x.shape)")
        }
        let start = state ?? emptyState()
        try start.validate(for: self)
        if form == .parallel && start != emptyState() {
            throw .invalid(field: "state", expected: "the empty state: the parallel form starts at position 0 "
                           + "(continue from a state with the recurrent or chunkwise form)",
                           got: "a state at position \(start.position)")
        }
        if scaling != .exact && start.position != 0 {
            throw .invalid(field: "scaling", expected: ".exact after position 0 (row factors start at the sequence's start)",
                           got: "\(scaling) from position \(start.position)")
        }
        let n = x.rows, dk = keyDimension, dv = headDimension
        let q = x.applyingLinear(qProj, bias: biases?.q)
        let k = keyScale * x.applyingLinear(kProj, bias: biases?.k)
        let v = x.applyingLinear(vProj, bias: biases?.v)
        let g = x.applyingLinear(gProj, bias: biases?.g)
        let traced = trace.map { LayerTrace(trace: $0, layer: self, x: x, q: q, k: k, v: v, g: g) }

        var outputs: [Matrix<E>] = []
        var states: [RetentionState<E>] = []
        var factors: [[E]] = []
        for h in 0..<heads {
            let qh = try Self.shaped { () throws(ShapeError) in
                try rotation.apply(q.columnRange((h * dk)..<((h + 1) * dk)), offset: start.position)
            }
            let kh = try Self.shaped { () throws(ShapeError) in
                try rotation.apply(k.columnRange((h * dk)..<((h + 1) * dk)), offset: start.position)
            }
            let vh = v.columnRange((h * dv)..<((h + 1) * dv))
            let decay = decays[h]
            traced?.enterHead(h, gamma: decay.gamma, q: qh, k: kh, v: vh)
            defer { traced?.leaveHead() }
            do {
                var result: (outputs: Matrix<E>, state: RetentionState<E>)
                switch form {
                case .parallel:
                    result = (try ParallelRetention.outputs(q: qh, k: kh, v: vh, decay: decay, trace: trace),
                              RetentionState(s: Self.finalState(k: kh, v: vh, decay: decay), position: n))
                case .recurrent:
                    result = try RecurrentRetention.outputs(q: qh, k: kh, v: vh, decay: decay, from: start.heads[h],
                                                            trace: trace)
                case .chunkwise(let b):
                    result = try ChunkwiseRetention.outputs(q: qh, k: kh, v: vh, decay: decay, chunkSize: b,
                                                            from: start.heads[h], trace: trace)
                }
                let rowFactors = try scaling.factors(q: qh, k: kh, v: vh, decay: decay)
                if scaling != .exact {
                    let exact = result.outputs
                    result.outputs = exact.scalingRows(by: rowFactors)
                    traced?.scaled(result.outputs, from: exact, by: scaling)
                }
                factors.append(rowFactors)
                outputs.append(result.outputs)
                states.append(result.state)
            } catch {
                throw .head(h, error)
            }
        }
        let retention = Matrix<E>.concatenatingColumns(outputs, rows: n)
        let normalised = headNorm.apply(retention, heads: heads)
        let swish = Activation.swish(g)
        let gated = swish.hadamard(normalised)
        let output = gated.applyingLinear(outProj, bias: biases?.out)
        traced?.finish(heads: outputs, retention: retention, norm: headNorm, normalised: normalised, swish: swish,
                       gated: gated, output: output)
        return MultiScaleRetentionPass(retention: retention, rowFactors: factors, normalised: normalised, gate: g,
                                       output: output, state: MultiScaleRetentionState(heads: states))
    }

    /// The state after the parallel form over n rows: S = Σ_m γ^{n−1−m} K_mᵀ V_m = Kᵀ (V ⊙ ζ),
    /// ζ_m = γ^{n−1−m} — Eq. 7's chunk state for a single chunk holding the whole input.
    static func finalState(k: Matrix<E>, v: Matrix<E>, decay: Decay<E>) -> Matrix<E> {
        let n = k.rows
        return k.transposed * v.scalingRows(by: (0..<n).map { decay.power(n - 1 - $0) })
    }
}

/// What one layer computed, stage by stage.
public struct MultiScaleRetentionPass<E: RealScalar>: Sendable {
    /// The heads' retention outputs side by side (n×V), times the row factors if any were asked for.
    public let retention: Matrix<E>
    /// The row factors each head's retention was multiplied by (h arrays of n; all 1 for `.exact`).
    public let rowFactors: [[E]]
    /// Y = HeadNorm_h(retention).
    public let normalised: Matrix<E>
    /// G = X W_Gᵀ, before the swish.
    public let gate: Matrix<E>
    /// MSR(X) = (swish(G) ⊙ Y) W_Oᵀ (n×E).
    public let output: Matrix<E>
    /// The state after the last row.
    public let state: MultiScaleRetentionState<E>
}
