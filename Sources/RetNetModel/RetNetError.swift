import MultiScaleRetention

/// Bad input to a RetNet: a configuration whose sizes do not fit together, a weight of the wrong
/// shape, a token id outside the vocabulary, a state made by a model of another configuration,
/// a bad sampling argument. Each message names the field, the value expected and the value given.
public enum RetNetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A configuration field (named by its torchscale `RetNetConfig` key where it has one).
    case config(field: String, expected: String, got: String)
    /// A weight (named by its checkpoint key) of the wrong shape or length.
    case weight(field: String, expected: String, got: String)
    /// tokens[position] = id is not in 0..<vocab_size.
    case token(position: Int, id: Int, vocabularySize: Int)
    /// A state that does not fit this model.
    case state(field: String, expected: String, got: String)
    /// Any other argument out of range (a temperature, a count, an empty prompt).
    case argument(name: String, expected: String, got: String)
    /// An error inside layer i's multi-scale retention.
    case layer(Int, MultiScaleRetentionError)

    public var description: String {
        switch self {
        case .config(let field, let expected, let got), .weight(let field, let expected, let got),
             .state(let field, let expected, let got):
            return "\(field): expected \(expected), got \(got)"
        case .token(let position, let id, let size):
            return "tokens[\(position)]: expected a token id in 0..<\(size) (vocab_size), got \(id)"
        case .argument(let name, let expected, let got):
            return "\(name): expected \(expected), got \(got)"
        case .layer(let index, let error):
            return "layers[\(index)].retention: \(error)"
        }
    }
}
