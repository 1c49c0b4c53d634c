import FastRetNet
import FastTraining
import Foundation
import Layers
import Matrices
import RetNetModel
import SafeTensors
import TorchscaleCheckpoint

extension RetNet: TrainableModel where E == Float {
    /// The mean over the sequences of each one's loss, on the SIMD kernels (`FastRetNet`,
    /// parallel form), summed in Double in sequence order.
    public var trainingShape: TrainingShape { config.trainingShape }

    public func meanLoss<Sequences: Sequence<[Int]>>(_ sequences: Sequences) throws(RetNetError) -> Float {
        let fast = try FastRetNet(self)
        var total = 0.0
        var count = 0
        for sequence in sequences {
            total += Double(NextTokenLoss.evaluate(logits: try fast.forward(sequence).logits, tokens: sequence).loss)
            count += 1
        }
        return Float(total / Double(count))
    }

    /// A torchscale checkpoint: model.safetensors (with torchscale's buffers) and config.json.
    /// Only the torchscale variant is saved: that is the model torchscale can load.
    public func checkpointFiles(metadata: [String: String]) throws(TrainingError) -> [(name: String, data: Data)] {
        guard config.variant == .torchscale else {
            throw .setting(name: "variant", expected: "the torchscale variant (a torchscale checkpoint)",
                                        got: config.variant.rawValue)
        }
        let buffers = [
            SafeTensors.Entry(name: "retnet_rel_pos.angle", shape: [config.keyDim],
                              values: Rotation.float32Angles(pairs: config.keyDim / 2).flatMap { [$0, $0] }),
            SafeTensors.Entry(name: "retnet_rel_pos.decay", shape: [config.retentionHeads],
                              values: config.decaySchedule.float32LogGammas(heads: config.retentionHeads)),
        ]
        let weights = parameters.map { SafeTensors.Entry(name: $0.name, shape: $0.shape, values: $0.values) } + buffers
        let encoded: Data, json: String
        do { encoded = try SafeTensors.encode(weights, metadata: metadata) } catch {
            throw .file(path: "model.safetensors", reason: "cannot encode: \(error)")
        }
        do { json = try config.json() } catch { throw .file(path: "config.json", reason: "cannot encode: \(error)") }
        return [("model.safetensors", encoded), ("config.json", Data(json.utf8))]
    }
}

extension RetNet where E == Float {
    public static var configurationFile: String { "config.json" }

    /// The torchscale checkpoint in `directory`, as `TorchscaleCheckpoint` loads it; throws
    /// `.torchscale` for what that loader refuses.
    public static func loadCheckpoint(from directory: URL) throws(TrainingError) -> (model: RetNet, metadata: [String: String]) {
        do {
            let torchscale = try TorchscaleCheckpoint(directory: directory)
            return (try torchscale.model(Float.self), torchscale.weights.metadata)
        } catch {
            throw .torchscale(error)
        }
    }
}

extension RetNetGradients: NamedGradients where E == Float {}

extension FastGradients: GradientSource {}
