import Matrices

/// The biases of multi-scale retention's five linear maps, for implementations that keep them
/// (yet-another-retnet's `nn.Linear(..., bias=True)`; the paper writes none and torchscale has
/// none):
///
///     Q = X W_Qᵀ + b_Q,  K = (X W_Kᵀ + b_K) · d_k^{−1/2},  V = X W_Vᵀ + b_V,  G = X W_Gᵀ + b_G
///     MSR(X) = (swish(G) ⊙ Y) W_Oᵀ + b_O
///
/// b_Q, b_K and b_O have E entries, b_V and b_G have V. Q and K are rotated after the bias.
public struct RetentionBiases<E: RealScalar>: Sendable, Equatable {
    public let q: [E], k: [E], v: [E], g: [E], out: [E]

    public init(q: [E], k: [E], v: [E], g: [E], out: [E]) {
        (self.q, self.k, self.v, self.g, self.out) = (q, k, v, g, out)
    }

    /// The biases in another precision.
    public func converted<Other: RealScalar>(to _: Other.Type = Other.self) -> RetentionBiases<Other> {
        func c(_ b: [E]) -> [Other] { b.map { Other($0) } }
        return RetentionBiases<Other>(q: c(q), k: c(k), v: c(v), g: c(g), out: c(out))
    }

    /// Throws `.invalid` naming the first bias whose length is not E (q, k, out) or V (v, g).
    func validate(embedDimension e: Int, valueDimension v: Int) throws(MultiScaleRetentionError) {
        for (name, bias, width, meaning) in [("q_proj", q, e, "E"), ("k_proj", k, e, "E"), ("v_proj", self.v, v, "V"),
                                             ("g_proj", g, v, "V"), ("out_proj", out, e, "E")] where bias.count != width {
            throw .invalid(field: "\(name).bias", expected: "\(width) entries (\(meaning))", got: "\(bias.count)")
        }
    }
}

extension MultiScaleRetentionLayer {
    /// The same layer with these biases (nil: none).
    public func with(biases: RetentionBiases<E>?) throws(MultiScaleRetentionError) -> MultiScaleRetentionLayer {
        try MultiScaleRetentionLayer(heads: heads, qProj: qProj, kProj: kProj, vProj: vProj, gProj: gProj, outProj: outProj,
                                     headNorm: headNorm, gammas: gammas, rotation: rotation, keyScale: keyScale, biases: biases)
    }
}
