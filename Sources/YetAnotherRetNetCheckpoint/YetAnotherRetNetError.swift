import RetNetModel
import SafeTensors

/// Why a yet-another-retnet checkpoint could not be loaded. Each case names the file, key or
/// tensor involved and what was expected; a failed load builds nothing.
public enum YetAnotherRetNetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The checkpoint directory lacks a file (config.json or model.safetensors).
    case missingFile(String)
    /// config.json could not be read, is not a JSON object, or a value has the wrong type.
    case unreadableConfig(path: String, reason: String)
    /// Keys that are not keyword arguments of yet-another-retnet's `RetNet`.
    case unknownConfigKeys([String])
    /// A setting this package does not implement, with the reason.
    case unsupportedSetting(key: String, value: String, reason: String)
    /// The configuration's sizes do not make a valid RetNet.
    case config(RetNetError)
    /// The weights file is not a valid safetensors file.
    case weights(SafeTensorsError)
    /// A tensor the model needs is not in the file.
    case missingTensor(String)
    /// Tensors in the file that the model does not use.
    case unexpectedTensors([String])
    /// A tensor whose shape is not the one the config implies.
    case tensorShape(name: String, expected: [Int], got: [Int])
    /// A value that is NaN or infinite.
    case nonFinite(name: String, index: Int)
    /// A stored θ that is not the one the config implies (another model's buffer).
    case thetas(name: String, index: Int, expected: Double, got: Double)
    /// The model rejected the weights.
    case model(RetNetError)

    public var description: String {
        let prefix = "yet-another-retnet checkpoint: "
        return switch self {
        case .missingFile(let path):
            prefix + "\(path) not found (a checkpoint directory holds config.json and model.safetensors)"
        case .unreadableConfig(let path, let reason): prefix + "\(path): \(reason)"
        case .unknownConfigKeys(let keys):
            prefix + "config.json has keys that are not keyword arguments of yet_another_retnet's RetNet: "
                + keys.joined(separator: ", ")
        case .unsupportedSetting(let key, let value, let reason):
            prefix + "config.json sets \(key) = \(value), which is not supported: \(reason)"
        case .config(let error): prefix + "config.json: \(error)"
        case .weights(let error): prefix + "model.safetensors: \(error)"
        case .missingTensor(let name): prefix + "model.safetensors has no tensor '\(name)'"
        case .unexpectedTensors(let names):
            prefix + "model.safetensors has tensors the model does not use: \(names.joined(separator: ", "))"
        case .tensorShape(let name, let expected, let got):
            prefix + "tensor '\(name)' has shape \(got), the config implies \(expected)"
        case .nonFinite(let name, let index): prefix + "tensor '\(name)'[\(index)] is not finite"
        case .thetas(let name, let index, let expected, let got):
            prefix + "buffer '\(name)'[\(index)] = \(got), the config implies \(expected)"
        case .model(let error): prefix + "\(error)"
        }
    }
}
