import Foundation
import RetNetModel

/// Reading a torchscale `RetNetConfig` saved as JSON: which keys this package implements, which
/// it rejects with a reason, and which do not matter for inference.
///
/// The keys and defaults are those of torchscale 0.3.0's `RetNetConfig.__init__`.
public enum TorchscaleConfig {
    /// Keys read into `RetNetConfig` (see its CodingKeys).
    static let supported: Set<String> = [
        "decoder_embed_dim", "decoder_value_embed_dim", "decoder_retention_heads", "decoder_ffn_embed_dim",
        "decoder_layers", "vocab_size", "layernorm_eps", "activation_fn", "no_scale_embedding",
        "recurrent_chunk_size", "variant", "decay_schedule", "float32_buffers",
    ]

    /// Keys that only affect training, distribution or torchscale's choice of mode: any value is fine.
    static let irrelevant: Set<String> = [
        "dropout", "drop_path_rate", "activation_dropout", "checkpoint_activations", "fsdp", "ddp_rank",
        "max_target_positions", "chunkwise_recurrent", "moe_gating_use_fp32", "moe_eval_capacity_token_fraction",
        "moe_second_expert_policy", "moe_normalize_gate_prob_before_dropping", "moe_top1_expert",
        "xpos_scale_base",
    ]

    /// Keys of features this package does not implement, with the value that means "off"
    /// (torchscale's default) and why the feature is out.
    static let unsupported: [String: (off: String, reason: String)] = [
        "multiway": ("false", "multiway (modality-specific) experts are not implemented"),
        "moe_freq": ("0", "mixture-of-experts layers are not implemented"),
        "moe_expert_count": ("0", "mixture-of-experts layers are not implemented"),
        "use_xmoe": ("false", "X-MoE routing is not implemented"),
        "deepnorm": ("false", "DeepNorm (post-norm with scaled residuals) is not implemented; blocks are pre-norm"),
        "subln": ("true", "only torchscale's default sub-LayerNorm (pre-norm) blocks are implemented"),
        "decoder_normalize_before": ("true", "only pre-norm blocks are implemented"),
        "layernorm_embedding": ("false", "a norm on the embeddings is not implemented"),
        "share_decoder_input_output_embed": ("false", "tied input/output embeddings are not implemented"),
        "no_output_layer": ("false", "a model without its output projection has no logits"),
        "rel_pos_buckets": ("0", "relative position buckets are not implemented"),
        "max_rel_pos": ("0", "relative position buckets are not implemented"),
        "xpos_rel_pos": ("false", "xPos relative positions are not implemented (retention uses its own rotation)"),
    ]

    /// Parses config.json text into the torchscale variant's `RetNetConfig`, rejecting unknown
    /// keys and enabled unsupported features by name.
    public static func parse(_ data: Data, path: String = "config.json") throws(CheckpointError) -> RetNetConfig {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw .unreadableConfig(path: path, reason: "not valid JSON (\((error as NSError).localizedDescription))")
        }
        guard let keys = object as? [String: Any] else {
            throw .unreadableConfig(path: path, reason: "the top level is not a JSON object")
        }
        let unknown = keys.keys.filter { !supported.contains($0) && !irrelevant.contains($0) && unsupported[$0] == nil }
        guard unknown.isEmpty else { throw .unknownConfigKeys(unknown.sorted()) }
        for key in keys.keys.sorted() {
            guard let rule = unsupported[key] else { continue }
            let value = text(keys[key]!)
            if value != rule.off { throw .unsupportedFeature(key: key, value: value, reason: rule.reason) }
        }
        if let variant = keys["variant"] as? String, variant != RetNetConfig.Variant.torchscale.rawValue {
            throw .unsupportedFeature(key: "variant", value: "\"\(variant)\"",
                                      reason: "a torchscale checkpoint is loaded into the torchscale variant")
        }
        do {
            return try JSONDecoder().decode(RetNetConfig.self, from: data)
        } catch let error as RetNetError {
            throw .config(error)
        } catch {
            throw .unreadableConfig(path: path, reason: describe(error))
        }
    }

    /// A JSON value as short text: booleans as true/false, numbers as written.
    private static func text(_ value: Any) -> String {
        if let number = value as? NSNumber {
            if String(cString: number.objCType) == "c" { return number.boolValue ? "true" : "false" }
            return number.stringValue
        }
        if let string = value as? String { return "\"\(string)\"" }
        return "\(value)"
    }

    /// A decoding error in words: which key, what went wrong.
    private static func describe(_ error: Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, _)?: "missing key '\(key.stringValue)'"
        case .typeMismatch(let type, let context)?:
            "'\(context.codingPath.map(\.stringValue).joined(separator: "."))' is not \(type)"
        case .valueNotFound(_, let context)?: "'\(context.codingPath.map(\.stringValue).joined(separator: "."))' is null"
        case .dataCorrupted(let context)?: context.debugDescription
        default: "\(error)"
        }
    }
}
