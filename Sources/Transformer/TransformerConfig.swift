import Layers

/// The sizes and choices of a Transformer decoder built to be compared with a RetNet.
///
/// `init(matching:)` takes them from a `RetNetConfig` (it is in module DecodingCosts, which sees
/// both models), so that the two models differ in the token mixer and in nothing a comparison
/// could otherwise be blamed on:
///
/// | | the same as the RetNet's | why |
/// |---|---|---|
/// | E, L, h, vocabulary | `decoder_embed_dim`, `decoder_layers`, `decoder_retention_heads`, `vocab_size` | the shape being compared |
/// | Q/K head width E/h, V head width V/h | `key_dim`, `head_dim` | a KV cache row then holds exactly a token's K and V of the RetNet |
/// | block norm | LayerNorm (paper variant) or RMSNorm (torchscale variant) | only the mixer differs |
/// | FFN kind, activation | plain (paper) or GLU (torchscale) | only the mixer differs |
/// | positions | rotary, the RetNet's own `Rotation` (same θ) | both encode position the same way; no extra weights |
///
/// What cannot be the same is the parameter count of the mixer: retention has a gate W_G
/// (V×E) that softmax attention has not. Its E·V weights go to the FFN's hidden width instead,
/// F′ = F + V/2 for a plain FFN (each hidden unit has 2E weights) or F + V/3 for a GLU (3E),
/// rounded — so the two models hold the same number of weights up to that rounding and the
/// paper variant's per-head GroupNorm (2V per layer), as the paper's Transformer baselines are
/// sized to match. `ffnEmbedDim:` overrides this.
public struct TransformerConfig: Codable, Equatable, Sendable {
    /// E, the model width.
    public var embedDim: Int
    /// V, the total value width of a layer's heads.
    public var valueEmbedDim: Int
    /// h, the heads per layer.
    public var heads: Int
    /// F′, the FFN's hidden width.
    public var ffnEmbedDim: Int
    /// L, the number of blocks.
    public var layers: Int
    /// The vocabulary size.
    public var vocabSize: Int
    /// ε of every norm.
    public var layernormEps: Double
    /// The FFN's activation.
    public var activationFn: Activation
    /// RMSNorm when true (torchscale's RetNet), LayerNorm when false (the paper's).
    public var rmsNorm: Bool
    /// A GLU FFN when true (torchscale's RetNet), a plain one when false (the paper's).
    public var gluFFN: Bool
    /// Embeddings are used as they are when true, times √E when false.
    public var noScaleEmbedding: Bool
    /// The precision of the rotary angles (as the RetNet's `float32_buffers`).
    public var rotationPrecision: Rotation.Precision
    /// What each head does to its scores: softmax (the Transformer) or nothing (linear attention).
    public var attention: AttentionScoring

    public init(embedDim: Int, valueEmbedDim: Int, heads: Int, ffnEmbedDim: Int, layers: Int, vocabSize: Int,
                layernormEps: Double = 1e-6, activationFn: Activation = .gelu, rmsNorm: Bool = true, gluFFN: Bool = true,
                noScaleEmbedding: Bool = true, rotationPrecision: Rotation.Precision = .double,
                attention: AttentionScoring = .softmax)
    {
        self.embedDim = embedDim
        self.valueEmbedDim = valueEmbedDim
        self.heads = heads
        self.ffnEmbedDim = ffnEmbedDim
        self.layers = layers
        self.vocabSize = vocabSize
        self.layernormEps = layernormEps
        self.activationFn = activationFn
        self.rmsNorm = rmsNorm
        self.gluFFN = gluFFN
        self.noScaleEmbedding = noScaleEmbedding
        self.rotationPrecision = rotationPrecision
        self.attention = attention
    }

    private enum CodingKeys: String, CodingKey {
        case embedDim, valueEmbedDim, heads, ffnEmbedDim, layers, vocabSize, layernormEps, activationFn, rmsNorm, gluFFN
        case noScaleEmbedding, rotationPrecision, attention
    }

    /// Decodes every field; `attention` may be missing (a configuration written before it
    /// existed), and is then softmax.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(embedDim: try c.decode(Int.self, forKey: .embedDim), valueEmbedDim: try c.decode(Int.self, forKey: .valueEmbedDim),
                  heads: try c.decode(Int.self, forKey: .heads), ffnEmbedDim: try c.decode(Int.self, forKey: .ffnEmbedDim),
                  layers: try c.decode(Int.self, forKey: .layers), vocabSize: try c.decode(Int.self, forKey: .vocabSize),
                  layernormEps: try c.decode(Double.self, forKey: .layernormEps),
                  activationFn: try c.decode(Activation.self, forKey: .activationFn), rmsNorm: try c.decode(Bool.self, forKey: .rmsNorm),
                  gluFFN: try c.decode(Bool.self, forKey: .gluFFN), noScaleEmbedding: try c.decode(Bool.self, forKey: .noScaleEmbedding),
                  rotationPrecision: try c.decode(Rotation.Precision.self, forKey: .rotationPrecision),
                  attention: try c.decodeIfPresent(AttentionScoring.self, forKey: .attention) ?? .softmax)
    }

    /// d_k = E/h, the width of a head's queries and keys.
    public var keyDim: Int { embedDim / heads }
    /// d_v = V/h, the width of a head's values.
    public var headDim: Int { valueEmbedDim / heads }
    /// The factor on the embeddings: 1, or √E when `noScaleEmbedding` is false.
    public var embedScale: Double { noScaleEmbedding ? 1 : Double(embedDim).squareRoot() }

    /// Throws `.config` naming the first field that does not fit: sizes ≥ 1, h dividing E and V,
    /// E/h even (the rotation turns pairs), ε finite and ≥ 0.
    public func validate() throws(TransformerError) {
        for (field, value) in [("heads", heads), ("embed_dim", embedDim), ("value_embed_dim", valueEmbedDim),
                               ("ffn_embed_dim", ffnEmbedDim), ("layers", layers), ("vocab_size", vocabSize)]
            where value < 1
        {
            throw .config(field: field, expected: "at least 1", got: "\(value)")
        }
        guard embedDim % heads == 0 && valueEmbedDim % heads == 0 else {
            throw .config(field: "heads", expected: "a divisor of embed_dim = \(embedDim) and value_embed_dim = \(valueEmbedDim)",
                          got: "\(heads)")
        }
        guard keyDim % 2 == 0 else {
            throw .config(field: "key_dim", expected: "an even embed_dim / heads (the rotation acts on pairs)",
                          got: "\(embedDim) / \(heads) = \(keyDim)")
        }
        guard layernormEps >= 0 && layernormEps.isFinite else {
            throw .config(field: "layernorm_eps", expected: "a finite ε ≥ 0", got: "\(layernormEps)")
        }
    }
}
