import Foundation
import Layers
import MultiScaleRetention

/// The sizes and choices of a RetNet, as a `Codable` value whose keys are torchscale's
/// `RetNetConfig` names where one exists (`decoder_embed_dim`, `decoder_value_embed_dim`,
/// `decoder_retention_heads`, `decoder_ffn_embed_dim`, `decoder_layers`, `vocab_size`,
/// `layernorm_eps`, `activation_fn`, `no_scale_embedding`, `recurrent_chunk_size`), plus this
/// package's own: `variant`, `decay_schedule`, `float32_buffers`, and for yet-another-retnet's
/// layout `biases` and `final_norm` (written only when they differ from false and true).
///
/// Two variants (reference: the paper, arXiv 2307.08621 Sec. 2, and torchscale 0.3.0):
///
/// |                | `.paper`                    | `.torchscale`                                   |
/// |----------------|-----------------------------|-------------------------------------------------|
/// | block norm     | LayerNorm (weight, bias)    | RMSNorm x·rsqrt(mean(x²)+ε)·w                    |
/// | per-head norm  | GroupNorm (weight, bias)    | RMSNorm without weight                          |
/// | FFN            | act(x W₁ᵀ) W₂ᵀ              | GLU: fc2(act(fc1 x) ⊙ gate x)                   |
/// | γ, θ buffers   | Double                      | float32, as torchscale computes them            |
///
/// Shared: V = `decoder_value_embed_dim` (the paper uses 2E), k ·= key_dim^{−1/2}, no biases in
/// any projection, embeddings times √E unless `no_scale_embedding`, pre-norm blocks.
/// torchscale's `RetNetConfig()` defaults do not run on their own (1280 % 3 ≠ 0, vocab_size = −1),
/// so the sizes have no defaults here; the other keys default to torchscale's values.
public struct RetNetConfig: Codable, Equatable, Sendable {
    public enum Variant: String, Codable, CaseIterable, Sendable {
        case paper
        case torchscale
    }

    public var variant: Variant
    /// E, the model width (`decoder_embed_dim`).
    public var embedDim: Int
    /// V, the total value width of a layer's heads (`decoder_value_embed_dim`).
    public var valueEmbedDim: Int
    /// h, the heads per layer (`decoder_retention_heads`).
    public var retentionHeads: Int
    /// F, the FFN's hidden width (`decoder_ffn_embed_dim`).
    public var ffnEmbedDim: Int
    /// L, the number of blocks (`decoder_layers`).
    public var layers: Int
    /// The vocabulary size (`vocab_size`).
    public var vocabSize: Int
    /// ε of every norm, block and per-head (`layernorm_eps`; torchscale's default 1e-6).
    public var layernormEps: Double
    /// The FFN's activation (`activation_fn`: "gelu" or "swish").
    public var activationFn: Activation
    /// Embeddings are used as they are when true (torchscale's default), times √E when false.
    public var noScaleEmbedding: Bool
    /// The chunk size B of the chunkwise form (`recurrent_chunk_size`; default 512).
    public var recurrentChunkSize: Int
    /// The γ schedule (`decay_schedule`: "eq8" or "linspace"; default "eq8", torchscale's).
    public var decaySchedule: DecaySchedule
    /// Whether log γ and θ are computed in float32 as torchscale's buffers are
    /// (`float32_buffers`; default true for the torchscale variant, false for the paper's).
    public var float32Buffers: Bool
    /// Whether every linear map and the head have a bias (`biases`; default false, as in the
    /// paper and torchscale; true in yet-another-retnet).
    public var biases: Bool
    /// Whether a norm precedes the head (`final_norm`; default true, as in the paper and
    /// torchscale; false in yet-another-retnet, whose head reads the last block's output).
    public var finalNorm: Bool

    public init(variant: Variant, embedDim: Int, valueEmbedDim: Int, retentionHeads: Int, ffnEmbedDim: Int,
                layers: Int, vocabSize: Int, layernormEps: Double = 1e-6, activationFn: Activation = .gelu,
                noScaleEmbedding: Bool = true, recurrentChunkSize: Int = 512, decaySchedule: DecaySchedule = .eq8,
                float32Buffers: Bool? = nil, biases: Bool = false, finalNorm: Bool = true)
    {
        self.variant = variant
        self.embedDim = embedDim
        self.valueEmbedDim = valueEmbedDim
        self.retentionHeads = retentionHeads
        self.ffnEmbedDim = ffnEmbedDim
        self.layers = layers
        self.vocabSize = vocabSize
        self.layernormEps = layernormEps
        self.activationFn = activationFn
        self.noScaleEmbedding = noScaleEmbedding
        self.recurrentChunkSize = recurrentChunkSize
        self.decaySchedule = decaySchedule
        self.float32Buffers = float32Buffers ?? (variant == .torchscale)
        self.biases = biases
        self.finalNorm = finalNorm
    }

    enum CodingKeys: String, CodingKey {
        case variant
        case embedDim = "decoder_embed_dim"
        case valueEmbedDim = "decoder_value_embed_dim"
        case retentionHeads = "decoder_retention_heads"
        case ffnEmbedDim = "decoder_ffn_embed_dim"
        case layers = "decoder_layers"
        case vocabSize = "vocab_size"
        case layernormEps = "layernorm_eps"
        case activationFn = "activation_fn"
        case noScaleEmbedding = "no_scale_embedding"
        case recurrentChunkSize = "recurrent_chunk_size"
        case decaySchedule = "decay_schedule"
        case float32Buffers = "float32_buffers"
        case biases
        case finalNorm = "final_norm"
    }

    /// Every key, but `biases` and `final_norm` only when they differ from their defaults (so a
    /// configuration without them reads as it always has).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(variant, forKey: .variant)
        try c.encode(embedDim, forKey: .embedDim)
        try c.encode(valueEmbedDim, forKey: .valueEmbedDim)
        try c.encode(retentionHeads, forKey: .retentionHeads)
        try c.encode(ffnEmbedDim, forKey: .ffnEmbedDim)
        try c.encode(layers, forKey: .layers)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(layernormEps, forKey: .layernormEps)
        try c.encode(activationFn, forKey: .activationFn)
        try c.encode(noScaleEmbedding, forKey: .noScaleEmbedding)
        try c.encode(recurrentChunkSize, forKey: .recurrentChunkSize)
        try c.encode(decaySchedule, forKey: .decaySchedule)
        try c.encode(float32Buffers, forKey: .float32Buffers)
        if biases { try c.encode(biases, forKey: .biases) }
        if !finalNorm { try c.encode(finalNorm, forKey: .finalNorm) }
    }

    /// Decodes the sizes (required) and the rest (defaults as in `init`), then validates: a
    /// configuration that decodes is one a model can be built from. Unknown keys are ignored,
    /// so a torchscale config's other fields may be present.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let variantName = try c.decodeIfPresent(String.self, forKey: .variant) ?? Variant.torchscale.rawValue
        guard let variant = Variant(rawValue: variantName) else {
            throw RetNetError.config(field: "variant", expected: "\"paper\" or \"torchscale\"", got: "\"\(variantName)\"")
        }
        let activationName = try c.decodeIfPresent(String.self, forKey: .activationFn) ?? Activation.gelu.rawValue
        guard let activation = Activation(rawValue: activationName) else {
            throw RetNetError.config(field: "activation_fn", expected: Activation.accepted, got: "\"\(activationName)\"")
        }
        let scheduleName = try c.decodeIfPresent(String.self, forKey: .decaySchedule) ?? DecaySchedule.eq8.rawValue
        guard let schedule = DecaySchedule(rawValue: scheduleName) else {
            throw RetNetError.config(field: "decay_schedule", expected: "\"eq8\" or \"linspace\"", got: "\"\(scheduleName)\"")
        }
        self.init(variant: variant,
                  embedDim: try c.decode(Int.self, forKey: .embedDim),
                  valueEmbedDim: try c.decode(Int.self, forKey: .valueEmbedDim),
                  retentionHeads: try c.decode(Int.self, forKey: .retentionHeads),
                  ffnEmbedDim: try c.decode(Int.self, forKey: .ffnEmbedDim),
                  layers: try c.decode(Int.self, forKey: .layers),
                  vocabSize: try c.decode(Int.self, forKey: .vocabSize),
                  layernormEps: try c.decodeIfPresent(Double.self, forKey: .layernormEps) ?? 1e-6,
                  activationFn: activation,
                  noScaleEmbedding: try c.decodeIfPresent(Bool.self, forKey: .noScaleEmbedding) ?? true,
                  recurrentChunkSize: try c.decodeIfPresent(Int.self, forKey: .recurrentChunkSize) ?? 512,
                  decaySchedule: schedule,
                  float32Buffers: try c.decodeIfPresent(Bool.self, forKey: .float32Buffers),
                  biases: try c.decodeIfPresent(Bool.self, forKey: .biases) ?? false,
                  finalNorm: try c.decodeIfPresent(Bool.self, forKey: .finalNorm) ?? true)
        try validate()
    }

    /// key_dim = E/h, the width of a head's queries and keys.
    public var keyDim: Int { embedDim / retentionHeads }
    /// head_dim = V/h, the width of a head's values.
    public var headDim: Int { valueEmbedDim / retentionHeads }
    /// The factor on the embeddings: 1, or √E when `no_scale_embedding` is false.
    public var embedScale: Double { noScaleEmbedding ? 1 : Double(embedDim).squareRoot() }

    /// γ of each head: the schedule's values, through a float32 log γ when `float32_buffers`.
    public var gammas: [Double] {
        float32Buffers ? decaySchedule.float32Gammas(heads: retentionHeads) : decaySchedule.gammas(heads: retentionHeads)
    }

    /// The largest recurrent_chunk_size a configuration may hold.
    public static let maximumChunkSize = 65_536

    /// Throws `.config` naming the first field that does not fit: sizes ≥ 1, h dividing E and V,
    /// key_dim even, ε finite and ≥ 0, chunk size in 1...65,536.
    public func validate() throws(RetNetError) {
        for (field, value) in [("decoder_retention_heads", retentionHeads), ("decoder_embed_dim", embedDim),
                               ("decoder_value_embed_dim", valueEmbedDim), ("decoder_ffn_embed_dim", ffnEmbedDim),
                               ("decoder_layers", layers), ("vocab_size", vocabSize),
                               ("recurrent_chunk_size", recurrentChunkSize)] where value < 1 {
            throw .config(field: field, expected: "at least 1", got: "\(value)")
        }
        // A chunk longer than any sequence the tools run gives the same chunks as the sequence;
        // a larger number (a hostile config.json's 10¹⁵) is refused at load.
        guard recurrentChunkSize <= Self.maximumChunkSize else {
            throw .config(field: "recurrent_chunk_size", expected: "at most \(Self.maximumChunkSize)", got: "\(recurrentChunkSize)")
        }
        do {
            try MultiScaleRetentionLayer<Double>.checkSizes(embedDimension: embedDim, valueDimension: valueEmbedDim,
                                                            heads: retentionHeads)
        } catch {
            guard case .invalid(let field, let expected, let got) = error else { throw .layer(0, error) }
            throw .config(field: field, expected: expected, got: got)
        }
        guard layernormEps >= 0 && layernormEps.isFinite else {
            throw .config(field: "layernorm_eps", expected: "a finite ε ≥ 0", got: "\(layernormEps)")
        }
    }

    /// The configuration as JSON with sorted keys (stable text for a page).
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
