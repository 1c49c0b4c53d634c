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
enum AttentionHeads: MixerHeads {
    case naive(CausalHeads<AttentionScores>)
    case tiled(TiledSoftmaxHeads)

    var layout: HeadLayout {
        switch self {
        case .naive(let heads): heads.layout
        case .tiled(let heads): heads.layout
        }
    }

    func forward(_ item: Int, projected: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, stride: Int,
                 scratch: HeadScratch) {
        switch self {
        case .naive(let heads): heads.forward(item, projected: projected, into: out, stride: stride, scratch: scratch)
        case .tiled(let heads): heads.forward(item, projected: projected, into: out, stride: stride, scratch: scratch)
        }
    }

    func backward(_ item: Int, outputGradient dO: UnsafePointer<Float>, stride: Int,
                  into dProjected: UnsafeMutablePointer<Float>, scratch: HeadScratch) {
        switch self {
        case .naive(let heads): heads.backward(item, outputGradient: dO, stride: stride, into: dProjected, scratch: scratch)
        case .tiled(let heads): heads.backward(item, outputGradient: dO, stride: stride, into: dProjected, scratch: scratch)
        }
    }
}
