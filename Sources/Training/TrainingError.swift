import RetNetModel
import Transformer
import TorchscaleCheckpoint

/// Why training, its data or a training checkpoint was refused. Each message names the value,
/// the file or the step involved and what was expected.
public enum TrainingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text (or a file) holds no characters.
    case emptyText(String)
    /// A character the tokenizer's vocabulary does not hold, at a character offset of the text.
    case unknownCharacter(character: String, offset: Int)
    /// A token id outside the vocabulary.
    case unknownToken(id: Int, vocabularySize: Int)
    /// A setting out of range (a batch of 0, a learning rate ≤ 0, a context longer than the data).
    case setting(name: String, expected: String, got: String)
    /// The loss (or the gradients' norm) stopped being a finite number at `step`.
    case nonFinite(what: String, step: Int, value: Float)
    /// A file could not be read or written.
    case file(path: String, reason: String)
    /// A directory that exists and does not hold a training checkpoint: nothing is written into it.
    case notACheckpoint(path: String, found: [String])
    /// A training checkpoint whose files do not fit together.
    case checkpoint(path: String, reason: String)
    /// The model refused something (a shape, a token).
    case model(RetNetError)
    /// The Transformer refused something (a shape, a token).
    case transformer(TransformerError)
    /// The torchscale checkpoint loader refused the model files.
    case torchscale(CheckpointError)

    public var description: String {
        switch self {
        case .emptyText(let what):
            "\(what) holds no characters"
        case .unknownCharacter(let character, let offset):
            "character \(character) at offset \(offset) is not in the tokenizer's vocabulary"
        case .unknownToken(let id, let size):
            "token id \(id) is not in the vocabulary (0..<\(size))"
        case .setting(let name, let expected, let got):
            "\(name): expected \(expected), got \(got)"
        case .nonFinite(let what, let step, let value):
            "the \(what) is \(value.isNaN ? "NaN" : "\(value)") at step \(step): training stopped"
        case .file(let path, let reason):
            "\(path): \(reason)"
        case .notACheckpoint(let path, let found):
            "\(path) exists and is not a training checkpoint (it holds \(found.prefix(5).joined(separator: ", "))"
                + (found.count > 5 ? ", …" : "") + "); refusing to write into it"
        case .checkpoint(let path, let reason):
            "checkpoint \(path): \(reason)"
        case .model(let error):
            "model: \(error)"
        case .transformer(let error):
            "transformer: \(error)"
        case .torchscale(let error):
            "\(error)"
        }
    }
}
