/// Which form a Transformer's attention heads run in for a training step.
public enum AttentionForm: Sendable, Equatable, CustomStringConvertible {
    /// softmax(Q Kᵀ/√d_k) V on each head's whole T×T weights, kept when short, computed again
    /// in the backward pass when long: the scratch grows as T².
    case naive
    /// The same softmax in blocks of B queries and keys (FlashAttention): an online softmax over
    /// the key blocks forward, the weights computed again block by block backward; memory linear
    /// in T. Softmax attention's only (linear attention has no softmax to tile).
    case tiled(blockSize: Int)

    public var description: String {
        switch self {
        case .naive: "naive"
        case .tiled(let b): "tiled (B = \(b))"
        }
    }
}

/// An attention mixer's heads in its form: the parallel form on T×T weights for any score map, or
/// the tiled softmax.
typealias AttentionHeads = EitherHeads<CausalHeads<AttentionScores>, TiledSoftmaxHeads>
