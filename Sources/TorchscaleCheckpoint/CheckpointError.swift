import RetNetModel
import SafeTensors

/// Why a torchscale checkpoint could not be loaded. Each case names the file, key or tensor
/// involved and what was expected; a failed load builds nothing.
public enum CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The checkpoint directory lacks a file (config.json or model.safetensors).
    case missingFile(String)
    /// config.json could not be read or is not a JSON object.
    case unreadableConfig(path: String, reason: String)
    /// A config key this package does not know (not one of torchscale's `RetNetConfig` keys).
    case unknownConfigKeys([String])
    /// A torchscale feature this package does not implement, enabled in the config.
    case unsupportedFeature(key: String, value: String, reason: String)
    /// The config's values do not make a valid RetNet.
    case config(RetNetError)
    /// The weights file is not a valid safetensors file.
    case weights(SafeTensorsError)
    /// A tensor the model needs is not in the file.
    case missingTensor(String)
    /// Tensors in the file that the model does not use.
    case unexpectedTensors([String])
    /// A tensor whose shape is not the one the config implies.
    case tensorShape(name: String, expected: [Int], got: [Int])
    /// A stored buffer (θ or γ) that does not match what the config implies.
    case bufferMismatch(name: String, index: Int, expected: Float, got: Float)
    /// The model rejected the weights (should not happen once shapes are checked).
    case model(RetNetError)

    public var description: String {
        switch self {
        case .missingFile(let path):
            "checkpoint: \(path) not found (a checkpoint directory holds config.json and model.safetensors)"
        case .unreadableConfig(let path, let reason):
            "checkpoint: \(path): \(reason)"
        case .unknownConfigKeys(let keys):
            "checkpoint: config.json has keys that are not torchscale RetNetConfig keys: \(keys.joined(separator: ", "))"
        case .unsupportedFeature(let key, let value, let reason):
            "checkpoint: config.json sets \(key) = \(value), which is not supported: \(reason)"
        case .config(let error):
            "checkpoint: config.json: \(error)"
        case .weights(let error):
            "checkpoint: model.safetensors: \(error)"
        case .missingTensor(let name):
            "checkpoint: model.safetensors has no tensor '\(name)'"
        case .unexpectedTensors(let names):
            "checkpoint: model.safetensors has tensors the model does not use: \(names.joined(separator: ", "))"
        case .tensorShape(let name, let expected, let got):
            "checkpoint: tensor '\(name)' has shape \(got), the config implies \(expected)"
        case .bufferMismatch(let name, let index, let expected, let got):
            "checkpoint: buffer '\(name)'[\(index)] = \(got), the config implies \(expected)"
        case .model(let error):
            "checkpoint: \(error)"
        }
    }
}
