import Foundation
import Matrices
import MultiScaleRetention
import RetNetModel
import SafeTensors

/// A torchscale 0.3.0 `RetNetDecoder` checkpoint: a directory holding `config.json`
/// (torchscale `RetNetConfig` keys) and `model.safetensors` (torchscale's state-dict names),
/// loaded into this package's torchscale variant of the RetNet.
///
/// Every tensor is checked against the shape the config implies before the model is built;
/// missing and unused tensors are errors. The buffers `retnet_rel_pos.angle` and
/// `retnet_rel_pos.decay`, when present, are what the model computes with, as torchscale does
/// after loading; each must match the θ and log γ the config implies up to the rounding of the
/// type it was stored in (``StoredBuffer``), so a buffer of another model is refused.
public struct TorchscaleCheckpoint: Sendable {
    /// The configuration read from config.json.
    public let config: RetNetConfig
    /// The weights file, checked.
    public let weights: SafeTensors

    /// Reads and checks the directory's config.json and model.safetensors.
    public init(directory: URL) throws(CheckpointError) {
        let configURL = directory.appendingPathComponent("config.json")
        let weightsURL = directory.appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: configURL.path) else { throw .missingFile(configURL.path) }
        guard FileManager.default.fileExists(atPath: weightsURL.path) else { throw .missingFile(weightsURL.path) }
        guard !isEmptyFile(configURL) else {
            throw .unreadableConfig(path: configURL.path, reason: "the file is empty (expected a JSON object)")
        }
        let text: Data
        do {
            text = try Data(contentsOf: configURL)
        } catch {
            throw .unreadableConfig(path: configURL.path, reason: (error as NSError).localizedDescription)
        }
        config = try TorchscaleConfig.parse(text, path: configURL.path)
        do {
            weights = try SafeTensors(contentsOf: weightsURL)
        } catch {
            throw .weights(error)
        }
        try Self.checkTensors(config: config, weights: weights)
    }

    /// The ten tensors of layer `i`, name → shape ([out, in] for projections).
    private static func layerShapes(_ i: Int, _ config: RetNetConfig) -> [(name: String, shape: [Int])] {
        let e = config.embedDim, v = config.valueEmbedDim, f = config.ffnEmbedDim, p = "layers.\(i)."
        return [
            (p + "retention.q_proj.weight", [e, e]), (p + "retention.k_proj.weight", [e, e]),
            (p + "retention.v_proj.weight", [v, e]), (p + "retention.g_proj.weight", [v, e]),
            (p + "retention.out_proj.weight", [e, v]),
            (p + "retention_layer_norm.weight", [e]), (p + "final_layer_norm.weight", [e]),
            (p + "ffn.fc1.weight", [f, e]), (p + "ffn.gate.weight", [f, e]), (p + "ffn.fc2.weight", [e, f]),
        ]
    }

    /// The tensors outside the layers: the embedding first, the final norm and the output
    /// projection last.
    private static func outerShapes(_ config: RetNetConfig) -> (first: [(name: String, shape: [Int])], last: [(name: String, shape: [Int])]) {
        let e = config.embedDim, vocab = config.vocabSize
        return ([("embed_tokens.weight", [vocab, e])], [("layer_norm.weight", [e]), ("output_projection.weight", [vocab, e])])
    }

    /// Whether the config implies a tensor of this name (a weight or one of the buffers), decided
    /// from the name alone: "layers.i.…" needs a canonical i below decoder_layers.
    private static func isExpected(_ name: String, _ config: RetNetConfig) -> Bool {
        let outer = outerShapes(config)
        if bufferNames.contains(name) || (outer.first + outer.last).contains(where: { $0.name == name }) { return true }
        let parts = name.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "layers", let i = Int(parts[1]), "\(i)" == parts[1], i >= 0, i < config.layers
        else { return false }
        return layerShapes(0, config).contains { $0.name == "layers.0." + parts[2] }
    }

    /// Checks the file against the config: no tensor the model does not use, every tensor it
    /// needs with its shape, the buffers (when present) with theirs. Layers are checked in order
    /// and the check stops at the first missing tensor, so a config claiming more layers than
    /// the file holds costs no more than the file's own tensors; and nothing is allocated by a
    /// size the config states until the file's tensors have shown it.
    private static func checkTensors(config: RetNetConfig, weights: SafeTensors) throws(CheckpointError) {
        let extra = weights.names.filter { !isExpected($0, config) }
        guard extra.isEmpty else { throw .unexpectedTensors(extra) }
        func check(_ name: String, _ shape: [Int]) throws(CheckpointError) {
            guard let tensor = weights.tensors[name] else { throw .missingTensor(name) }
            guard tensor.shape == shape else { throw .tensorShape(name: name, expected: shape, got: tensor.shape) }
        }
        let outer = outerShapes(config)
        for (name, shape) in outer.first { try check(name, shape) }
        for i in 0..<config.layers {
            for (name, shape) in layerShapes(i, config) { try check(name, shape) }
        }
        for (name, shape) in outer.last { try check(name, shape) }
        let buffers = [("retnet_rel_pos.angle", [config.keyDim]), ("retnet_rel_pos.decay", [config.retentionHeads])]
        for (name, shape) in buffers where weights.tensors[name] != nil { try check(name, shape) }
    }

    /// The tensors the config implies, name → shape ([out, in] for projections), in the order
    /// of torchscale's state dict; the file holds each of them (checked when it was loaded).
    public var expectedShapes: [(name: String, shape: [Int])] {
        let outer = Self.outerShapes(config)
        return outer.first + (0..<config.layers).flatMap { Self.layerShapes($0, config) } + outer.last
    }

    /// The buffers torchscale stores beside the weights; checked when present, never required.
    static let bufferNames = ["retnet_rel_pos.angle", "retnet_rel_pos.decay"]

    /// Number of parameters (the weights, not the buffers).
    public var parameterCount: Int { expectedShapes.reduce(0) { $0 + $1.shape.reduce(1, *) } }

    /// Builds the model in precision `E` (weights stored as Float are converted exactly to Double).
    public func model<E: RealScalar>(_: E.Type = E.self) throws(CheckpointError) -> RetNet<E> {
        // Names and shapes were checked when the checkpoint was loaded; reading can still fail.
        var tensors: [String: [Float]] = [:]
        for (name, _) in expectedShapes {
            do { tensors[name] = try weights.finiteFloats(name) } catch { throw .weights(error) }
        }
        let (rotation, gammas) = try positionalBuffers()

        func matrix(_ name: String) -> Matrix<E> {
            let shape = weights.tensors[name]!.shape  // checked against `expected` above
            return Matrix(rows: shape[0], columns: shape[1], entries: tensors[name]!.map { E($0) })
        }
        func vector(_ name: String) -> [E] { tensors[name]!.map { E($0) } }
        let eps = E(config.layernormEps)
        do {
            var blocks: [RetNetBlock<E>] = []
            for i in 0..<config.layers {
                let p = "layers.\(i)."
                let retention = try MultiScaleRetentionLayer<E>(
                    heads: config.retentionHeads,
                    qProj: matrix(p + "retention.q_proj.weight"), kProj: matrix(p + "retention.k_proj.weight"),
                    vProj: matrix(p + "retention.v_proj.weight"), gProj: matrix(p + "retention.g_proj.weight"),
                    outProj: matrix(p + "retention.out_proj.weight"), headNorm: .rms(eps: eps), gammas: gammas,
                    rotation: rotation, keyScale: E(1 / Double(config.keyDim).squareRoot()))
                blocks.append(RetNetBlock(
                    retentionLayerNorm: .rms(weight: vector(p + "retention_layer_norm.weight"), eps: eps),
                    retention: retention,
                    finalLayerNorm: .rms(weight: vector(p + "final_layer_norm.weight"), eps: eps),
                    ffn: .glu(fc1: matrix(p + "ffn.fc1.weight"), gate: matrix(p + "ffn.gate.weight"),
                              fc2: matrix(p + "ffn.fc2.weight"), activation: config.activationFn)))
            }
            return try RetNet(config: config, embedTokens: matrix("embed_tokens.weight"), blocks: blocks,
                              layerNorm: .rms(weight: vector("layer_norm.weight"), eps: eps),
                              outputProjection: matrix("output_projection.weight"))
        } catch let error as RetNetError {
            throw .model(error)
        } catch {
            throw .model(.config(field: "retention", expected: "a valid layer", got: "\(error)"))
        }
    }
}
