/// Which of retention's three forms a layer runs each head in (chapters 03–05). All three give
/// the same outputs; they differ in cost and in what they can start from.
public enum RetentionForm: Sendable, Equatable, CustomStringConvertible {
    /// (Q Kᵀ ⊙ D) V over the whole input at once (Eq. 5). Starts from the empty state.
    case parallel
    /// S_n = γ S_{n−1} + K_nᵀ V_n, one token after another (Eq. 6). Starts from any state.
    case recurrent
    /// Parallel inside chunks of B tokens, recurrent between them (Eq. 7). Starts from any state.
    case chunkwise(chunkSize: Int)

    public var description: String {
        switch self {
        case .parallel: "parallel"
        case .recurrent: "recurrent"
        case .chunkwise(let b): "chunkwise (B = \(b))"
        }
    }
}
