import Foundation
import Layers
import MultiScaleRetention
import RetNetModel

/// Reading the keyword arguments of yet-another-retnet 0.5.1's `RetNet(...)`, saved as JSON,
/// into this package's paper variant in yet-another-retnet's layout:
///
/// | yet-another-retnet                      | `RetNetConfig`                                      |
/// |-----------------------------------------|-----------------------------------------------------|
/// | `num_tokens`, `d_model`, `nhead`, `num_layers`, `dim_feedforward` | vocab, E (and V = E), h, L, F |
/// | LayerNorm blocks, `layer_norm_eps`      | `.paper`'s LayerNorm, `layernorm_eps`               |
/// | GroupNorm per head, no affine, ε = 1e-6 | `.paper`'s GroupNorm with w = 1, b = 0              |
/// | γ = 1 − e^{linspace(log 1/32, log 1/512, h)} in the model's dtype | `decay_schedule` "linspace", Double |
/// | θ as torchscale's formula, in the model's dtype (a `thetas` buffer per layer) | the stored θ |
/// | biases in every linear map and the head | `biases` true                                       |
/// | no norm before the head                 | `final_norm` false                                  |
///
/// Refused by name: `activation` other than "swish" (yet-another-retnet applies it to the
/// gate as well as the FFN; this model's gate is swish), `norm_first` false (post-norm blocks
/// are not implemented), and `layer_norm_eps` other than 1e-6 (the per-head GroupNorm keeps
/// ε = 1e-6 whatever it says, and this model has one ε for both norms). `dropout` may be
/// anything: inference runs in eval mode.
public enum YetAnotherRetNetConfig {
    /// The sizes: required, positive integers.
    static let sizes = ["num_tokens", "d_model", "nhead", "num_layers", "dim_feedforward"]
    /// The other keyword arguments a config may hold.
    static let others: Set<String> = ["activation", "norm_first", "layer_norm_eps", "dropout"]
    /// The ε of yet-another-retnet's per-head GroupNorm (`MultiScaleRetention`'s `group_norm_eps`
    /// default, which `RetNetDecoderLayer` does not pass on).
    public static let groupNormEps = 1e-6

    /// Parses config.json text, refusing unknown keys and unsupported settings by name.
    public static func parse(_ data: Data, path: String = "config.json") throws(YetAnotherRetNetError) -> RetNetConfig {
        guard let object = try? JSONSerialization.jsonObject(with: data) else {
            throw .unreadableConfig(path: path, reason: "not valid JSON")
        }
        guard let keys = object as? [String: Any] else {
            throw .unreadableConfig(path: path, reason: "the top level is not a JSON object")
        }
        let unknown = keys.keys.filter { !sizes.contains($0) && !others.contains($0) }
        guard unknown.isEmpty else { throw .unknownConfigKeys(unknown.sorted()) }
        var size: [String: Int] = [:]
        for key in sizes {
            guard let value = keys[key] else { throw .unreadableConfig(path: path, reason: "missing key '\(key)'") }
            guard let number = value as? NSNumber, !isBool(number), let int = Int(exactly: number.doubleValue),
                  Double(int) == number.doubleValue else {
                throw .unreadableConfig(path: path, reason: "'\(key)' is not an integer (got \(value))")
            }
            size[key] = int
        }
        if let value = keys["activation"] {
            guard let name = value as? String else { throw .unreadableConfig(path: path, reason: "'activation' is not a string") }
            guard name == "swish" else {
                throw .unsupportedSetting(key: "activation", value: "\"\(name)\"", reason: """
                    yet-another-retnet applies `activation` to the retention gate as well as to the FFN, and this \
                    model's gate is swish (the paper's); only "swish" is supported
                    """)
            }
        }
        if let value = keys["norm_first"] {
            guard let number = value as? NSNumber, isBool(number) else {
                throw .unreadableConfig(path: path, reason: "'norm_first' is not true or false")
            }
            guard number.boolValue else {
                throw .unsupportedSetting(key: "norm_first", value: "false", reason: "post-norm blocks are not implemented; blocks are pre-norm")
            }
        }
        var eps = groupNormEps
        if let value = keys["layer_norm_eps"] {
            guard let number = value as? NSNumber, !isBool(number) else {
                throw .unreadableConfig(path: path, reason: "'layer_norm_eps' is not a number")
            }
            eps = number.doubleValue
            guard eps == groupNormEps else {
                throw .unsupportedSetting(key: "layer_norm_eps", value: "\(eps)", reason: """
                    yet-another-retnet's per-head GroupNorm keeps ε = 1e-6 whatever layer_norm_eps says, and this \
                    model has one ε for the block norms and the per-head norm; only 1e-6 is supported
                    """)
            }
        }
        if let value = keys["dropout"], !(value is NSNumber) || isBool(value as! NSNumber) {
            throw .unreadableConfig(path: path, reason: "'dropout' is not a number")
        }
        let config = RetNetConfig(
            variant: .paper, embedDim: size["d_model"]!, valueEmbedDim: size["d_model"]!, retentionHeads: size["nhead"]!,
            ffnEmbedDim: size["dim_feedforward"]!, layers: size["num_layers"]!, vocabSize: size["num_tokens"]!,
            layernormEps: eps, activationFn: .swish, noScaleEmbedding: true, decaySchedule: .linspace,
            float32Buffers: false, biases: true, finalNorm: false)
        do {
            try config.validate()
        } catch {
            // Name yet-another-retnet's keys rather than torchscale's.
            guard case .config(let field, let expected, let got) = error else { throw .config(error) }
            let names = ["decoder_embed_dim": "d_model", "decoder_value_embed_dim": "d_model", "decoder_retention_heads": "nhead",
                         "decoder_ffn_embed_dim": "dim_feedforward", "decoder_layers": "num_layers", "vocab_size": "num_tokens",
                         "key_dim": "d_model / nhead"]
            throw .config(.config(field: names[field] ?? field, expected: expected, got: got))
        }
        return config
    }

    private static func isBool(_ number: NSNumber) -> Bool { String(cString: number.objCType) == "c" }
}
