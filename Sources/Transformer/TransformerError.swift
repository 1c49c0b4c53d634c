/// Bad input to a Transformer: a configuration whose sizes do not fit together, a weight of the
/// wrong shape, a token id outside the vocabulary, a cache made by a model of another
/// configuration, a bad argument. Each message names the field, the value expected and the value
/// given.
public enum TransformerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A configuration field.
    case config(field: String, expected: String, got: String)
    /// A weight of the wrong shape or length.
    case weight(field: String, expected: String, got: String)
    /// tokens[position] = id is not in 0..<vocabularySize.
    case token(position: Int, id: Int, vocabularySize: Int)
    /// A KV cache that does not fit this model.
    case cache(field: String, expected: String, got: String)
    /// Any other argument out of range (a batch whose parts differ in length, a negative size).
    case argument(name: String, expected: String, got: String)
    /// A KV cache of fixed capacity (`FastKVCache`) asked to hold more tokens than it has room for:
    /// it holds `position` tokens, at most `capacity`, and `adding` more were to be appended.
    case capacity(capacity: Int, position: Int, adding: Int)

    public var description: String {
        switch self {
        case .config(let field, let expected, let got), .weight(let field, let expected, let got),
             .cache(let field, let expected, let got), .argument(let field, let expected, let got):
            return "\(field): expected \(expected), got \(got)"
        case .token(let position, let id, let size):
            return "tokens[\(position)]: expected a token id in 0..<\(size) (vocab_size), got \(id)"
        case .capacity(let capacity, let position, let adding):
            return "KV cache: holds at most \(capacity) tokens (its capacity), has \(position), "
                + "cannot take \(adding) more (make it with a larger capacity)"
        }
    }
}
