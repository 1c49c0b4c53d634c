import DecodingCosts
import RetNetModel
import Transformer

/// The three models put to the recall task, alike but for the token mixer (Zoology's setting:
/// 2 layers): the RetNet (multi-scale retention, a decay γ per head), plain linear attention
/// (the Transformer with the softmax removed: γ = 1, no norm, no gate) and the Transformer
/// (softmax attention). All three are torchscale-shaped — RMSNorm, a GLU FFN, rotary positions —
/// of width E, value width V = E and h heads of d_k = d_v = E/h.
public enum RecallModel: String, CaseIterable, Sendable, Codable {
    case retnet
    case linearAttention = "linear-attention"
    case transformer

    /// The name on a page.
    public var title: String {
        switch self {
        case .retnet: "RetNet"
        case .linearAttention: "linear attention"
        case .transformer: "Transformer"
        }
    }
}

/// The size of a recall model: width E, heads h, layers L, vocabulary V and an FFN of 2E.
public struct RecallShape: Sendable, Equatable, Codable {
    public let width: Int
    public let heads: Int
    public let layers: Int
    public let vocabulary: Int

    /// The largest width accepted (the kernels' GEMMs hold E² weights per projection).
    public static let largestWidth = 4096

    /// Throws `.setting` for a width outside 2 … 4096, heads that do not divide it into even head
    /// widths, layers outside 1 … 16, or a vocabulary below 2.
    public init(width: Int, heads: Int = 2, layers: Int = 2, vocabulary: Int) throws(RecallError) {
        guard (2...Self.largestWidth).contains(width) else {
            throw .setting(name: "width", expected: "2 … \(Self.largestWidth)", got: "\(width)")
        }
        guard heads >= 1, width % heads == 0, (width / heads) % 2 == 0 else {
            throw .setting(name: "heads", expected: "a divisor of the width \(width) leaving an even head width", got: "\(heads)")
        }
        guard (1...16).contains(layers) else { throw .setting(name: "layers", expected: "1 … 16", got: "\(layers)") }
        guard vocabulary >= 2 else { throw .setting(name: "vocabulary", expected: "at least 2", got: "\(vocabulary)") }
        (self.width, self.heads, self.layers, self.vocabulary) = (width, heads, layers, vocabulary)
    }

    /// The RetNet of this shape (torchscale's variant: RMSNorm, GLU FFN of swish, unscaled embeddings).
    public var retnetConfig: RetNetConfig {
        RetNetConfig(variant: .torchscale, embedDim: width, valueEmbedDim: width, retentionHeads: heads,
                     ffnEmbedDim: 2 * width, layers: layers, vocabSize: vocabulary, activationFn: .swish)
    }

    /// The Transformer of this shape, scoring its heads with `attention`: matched to the RetNet
    /// (`TransformerConfig(matching:)`: its FFN a little wider, for the gate it has not).
    public func transformerConfig(_ attention: AttentionScoring) -> TransformerConfig {
        var config = TransformerConfig(matching: retnetConfig)
        config.attention = attention
        return config
    }

    /// The numbers a model carries from token to token when reading `length` tokens: for the
    /// RetNet and linear attention the fixed state, L·h·d_k·d_v = L·E²/h whatever the length;
    /// for the Transformer its KV cache, L·length·(E + V).
    public func stateFloats(_ model: RecallModel, length: Int) -> Int {
        switch model {
        case .retnet, .linearAttention: layers * width * width / heads
        case .transformer: layers * length * 2 * width
        }
    }
}
