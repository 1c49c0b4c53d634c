import Diagonalisation
import Foundation
import Layers
import Matrices
import MultiScaleRetention
import RetNetModel
import SafeTensors

/// A yet-another-retnet 0.5.1 `RetNet` checkpoint: a directory holding `config.json` (its
/// keyword arguments, `YetAnotherRetNetConfig`) and `model.safetensors` (its state dict under
/// its own names), loaded into this package's paper variant in yet-another-retnet's layout.
///
/// Every tensor is checked against the shape the config implies before anything is built;
/// missing and unused tensors, and NaN or infinite values, are errors. Each layer's `thetas`
/// buffer holds θ_j twice (for both members of pair j); it is what that layer rotates with, as
/// in yet-another-retnet after loading, and must match the config's θ up to the rounding of the
/// type it was stored in, so another model's buffer is refused.
public struct YetAnotherRetNetCheckpoint: Sendable {
    /// The configuration read from config.json.
    public let config: RetNetConfig
    /// The weights file, checked.
    public let weights: SafeTensors

    /// Reads and checks the directory's config.json and model.safetensors.
    public init(directory: URL) throws(YetAnotherRetNetError) {
        let configURL = directory.appendingPathComponent("config.json")
        let weightsURL = directory.appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: configURL.path) else { throw .missingFile(configURL.path) }
        guard FileManager.default.fileExists(atPath: weightsURL.path) else { throw .missingFile(weightsURL.path) }
        guard !isEmptyFile(configURL), let text = try? Data(contentsOf: configURL) else {
            throw .unreadableConfig(path: configURL.path, reason: "empty or unreadable (expected a JSON object)")
        }
        config = try YetAnotherRetNetConfig.parse(text, path: configURL.path)
        do {
            weights = try SafeTensors(contentsOf: weightsURL)
        } catch {
            throw .weights(error)
        }
        try checkTensors()
    }

    /// The tensors of layer `i`, name → shape ([out, in] for weights).
    private static func layerShapes(_ i: Int, _ config: RetNetConfig) -> [(name: String, shape: [Int])] {
        let e = config.embedDim, f = config.ffnEmbedDim, p = "decoder.layers.\(i)."
        let projections = ["q", "k", "v", "g", "out"].flatMap { name in
            [(p + "retention.\(name)_proj.weight", [e, e]), (p + "retention.\(name)_proj.bias", [e])]
        }
        return [(p + "norm1.weight", [e]), (p + "norm1.bias", [e])] + projections
            + [(p + "retention.thetas", [config.keyDim]),
               (p + "norm2.weight", [e]), (p + "norm2.bias", [e]),
               (p + "linear1.weight", [f, e]), (p + "linear1.bias", [f]), (p + "linear2.weight", [e, f]), (p + "linear2.bias", [e])]
    }

    /// Every tensor the config implies, name → shape, embedding first and the head last.
    public var expectedShapes: [(name: String, shape: [Int])] {
        let e = config.embedDim, vocab = config.vocabSize
        return [("embedding.weight", [vocab, e])] + (0..<config.layers).flatMap { Self.layerShapes($0, config) }
            + [("out.weight", [vocab, e]), ("out.bias", [vocab])]
    }

    /// Whether the config implies a tensor of this name, from the name alone (so a config
    /// claiming many layers costs no more than the file's own tensors).
    private func isExpected(_ name: String) -> Bool {
        if ["embedding.weight", "out.weight", "out.bias"].contains(name) { return true }
        let parts = name.split(separator: ".", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "decoder", parts[1] == "layers", let i = Int(parts[2]), "\(i)" == parts[2],
              i >= 0, i < config.layers else { return false }
        return Self.layerShapes(0, config).contains { $0.name == "decoder.layers.0." + parts[3] }
    }

    /// No unused tensor, then every needed one with its shape, in order, stopping at the first
    /// missing one.
    private func checkTensors() throws(YetAnotherRetNetError) {
        let extra = weights.names.filter { !isExpected($0) }
        guard extra.isEmpty else { throw .unexpectedTensors(extra) }
        let e = config.embedDim, vocab = config.vocabSize
        func check(_ name: String, _ shape: [Int]) throws(YetAnotherRetNetError) {
            guard let tensor = weights.tensors[name] else { throw .missingTensor(name) }
            guard tensor.shape == shape else { throw .tensorShape(name: name, expected: shape, got: tensor.shape) }
        }
        try check("embedding.weight", [vocab, e])
        for i in 0..<config.layers {
            for (name, shape) in Self.layerShapes(i, config) { try check(name, shape) }
        }
        try check("out.weight", [vocab, e])
        try check("out.bias", [vocab])
    }

    /// Number of parameters (the weights and biases, not the `thetas` buffers).
    public var parameterCount: Int {
        expectedShapes.filter { !$0.name.hasSuffix(".thetas") }.reduce(0) { $0 + $1.shape.reduce(1, *) }
    }

    /// Layer `i`'s θ, one per pair, from its `thetas` buffer: each pair's two entries equal, each
    /// within the rounding of the stored type (2 ulps of it, plus 16 of float32 for a model built
    /// in float32) of the config's θ_j = 1/10000^{j/(d_k/2 − 1)}.
    private func angles(layer i: Int, _ stored: [Double]) throws(YetAnotherRetNetError) -> [Double] {
        let name = "decoder.layers.\(i).retention.thetas"
        let implied = PairRotation.torchscaleAngles(pairs: config.keyDim / 2)
        let dtype = weights.tensors[name]!.dtype  // present: checked at load
        for (c, value) in stored.enumerated() {
            let expected = implied[c / 2]
            let tolerance = 2 * (dtype.ulp(of: expected) ?? 0) + 16 * Double(Float(expected).ulp)
            guard abs(value - expected) <= tolerance, value == stored[c - c % 2] else {
                throw .thetas(name: name, index: c, expected: expected, got: value)
            }
        }
        return stride(from: 0, to: stored.count, by: 2).map { stored[$0] }
    }

    /// Builds the model in precision `E` (F64 weights exactly in Double; F32, F16, BF16 widened).
    public func model<E: RealScalar>(_: E.Type = E.self) throws(YetAnotherRetNetError) -> RetNet<E> {
        var tensors: [String: [Double]] = [:]
        for (name, _) in expectedShapes {
            let values: [Double]
            do { values = try weights.doubles(name) } catch { throw .weights(error) }
            if let index = values.firstIndex(where: { !$0.isFinite }) { throw .nonFinite(name: name, index: index) }
            tensors[name] = values
        }
        func matrix(_ name: String) -> Matrix<E> {
            let shape = weights.tensors[name]!.shape  // checked at load
            return Matrix(rows: shape[0], columns: shape[1], entries: tensors[name]!.map { E($0) })
        }
        func vector(_ name: String) -> [E] { tensors[name]!.map { E($0) } }
        func layerNorm(_ prefix: String) -> BlockNorm<E> {
            .layerNorm(weight: vector(prefix + ".weight"), bias: vector(prefix + ".bias"), eps: E(config.layernormEps))
        }
        let e = config.embedDim
        do {
            var blocks: [RetNetBlock<E>] = []
            for i in 0..<config.layers {
                let p = "decoder.layers.\(i).", r = p + "retention."
                let rotation: Rotation
                do { rotation = try Rotation(angles: try angles(layer: i, tensors[r + "thetas"]!)) } catch let error as ShapeError {
                    throw YetAnotherRetNetError.model(.config(field: error.argument, expected: error.expected, got: error.got))
                }
                let retention: MultiScaleRetentionLayer<E>
                do {
                    retention = try MultiScaleRetentionLayer<E>(
                    heads: config.retentionHeads,
                    qProj: matrix(r + "q_proj.weight"), kProj: matrix(r + "k_proj.weight"), vProj: matrix(r + "v_proj.weight"),
                    gProj: matrix(r + "g_proj.weight"), outProj: matrix(r + "out_proj.weight"),
                    headNorm: .groupNorm(width: e, eps: E(YetAnotherRetNetConfig.groupNormEps)), gammas: config.gammas,
                    rotation: rotation, keyScale: E(1 / Double(config.keyDim).squareRoot()),
                    biases: RetentionBiases(q: vector(r + "q_proj.bias"), k: vector(r + "k_proj.bias"), v: vector(r + "v_proj.bias"),
                                            g: vector(r + "g_proj.bias"), out: vector(r + "out_proj.bias")))
                } catch {
                    throw YetAnotherRetNetError.model(.layer(i, error))
                }
                blocks.append(RetNetBlock(
                    retentionLayerNorm: layerNorm(p + "norm1"), retention: retention, finalLayerNorm: layerNorm(p + "norm2"),
                    ffn: .plain(fc1: matrix(p + "linear1.weight"), fc2: matrix(p + "linear2.weight"), activation: config.activationFn),
                    ffnBiases: FeedForwardBiases(fc1: vector(p + "linear1.bias"), fc2: vector(p + "linear2.bias"))))
            }
            // No norm before the head (final_norm = false): an identity LayerNorm stands in the unused slot.
            return try RetNet(config: config, embedTokens: matrix("embedding.weight"), blocks: blocks,
                              layerNorm: .layerNorm(weight: Array(repeating: 1, count: e), bias: Array(repeating: 0, count: e),
                                                    eps: E(config.layernormEps)),
                              outputProjection: matrix("out.weight"), outputBias: vector("out.bias"))
        } catch let error as YetAnotherRetNetError {
            throw error
        } catch let error as RetNetError {
            throw .model(error)
        } catch {
            throw .model(.config(field: "retention", expected: "a valid layer", got: "\(error)"))
        }
    }
}
