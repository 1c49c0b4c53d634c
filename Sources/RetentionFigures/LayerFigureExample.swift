import Layers
import Matrices
import MultiScaleRetention
import RetNetModel

/// Sizes and numbers of the example the layer figures run (`msr` and `block`): h heads of d_k
/// key and d_v value columns each, so E = h·d_k, V = h·d_v and the FFN's F = 2E.
public struct LayerFigureExample: Sendable {
    /// n, the number of tokens.
    public var length: Int
    /// h, the number of heads.
    public var heads: Int
    /// d_k, each head's width of Q and K (even: rotations act on pairs).
    public var keyDim: Int
    /// d_v, each head's width of V.
    public var headValueDim: Int
    /// Seed of the random X and weights.
    public var seed: UInt64

    public init(length: Int = 6, heads: Int = 2, keyDim: Int = 4, headValueDim: Int = 8, seed: UInt64 = 6) {
        self.length = length
        self.heads = heads
        self.keyDim = keyDim
        self.headValueDim = headValueDim
        self.seed = seed
    }

    /// E = h·d_k.
    public var embedDim: Int { heads * keyDim }
    /// V = h·d_v.
    public var valueDim: Int { heads * headValueDim }
    /// F = 2E, the FFN's hidden width.
    public var ffnDim: Int { 2 * embedDim }

    /// Why the example cannot run, if it cannot.
    public func check() throws(FigureError) {
        guard length >= 1 else { throw .size("the length n must be at least 1, got \(length)") }
        guard heads >= 1 else { throw .size("the number of heads h must be at least 1, got \(heads)") }
        guard keyDim >= 2, keyDim % 2 == 0 else {
            throw .size("the head width d_k must be even and at least 2, got \(keyDim)")
        }
        guard headValueDim >= 1 else { throw .size("the head value width d_v must be at least 1, got \(headValueDim)") }
    }

    /// X (n×E), drawn from the seed.
    public func input() throws(FigureError) -> Matrix<Double> {
        try check()
        var rng = SplitMix64(seed: seed)
        return .gaussian(rows: length, columns: embedDim, using: &rng)
    }

    /// The paper's layer, as chapter 06 builds it: Eq. 8's γ, GroupNorm (ε = 0), the rotation in
    /// Double, K scaled by d_k^{−1/2}; weights at torchscale's initial scales, drawn from seed + 1.
    public func layer() throws(FigureError) -> MultiScaleRetentionLayer<Double> {
        try check()
        var rng = SplitMix64(seed: seed &+ 1)
        do {
            return try .random(embedDimension: embedDim, valueDimension: valueDim, heads: heads,
                               headNorm: .groupNorm(width: valueDim, eps: 0), gammas: DecaySchedule.eq8.gammas(heads: heads),
                               rotation: Rotation(keyDimension: keyDim), using: &rng)
        } catch {
            throw .retention("\(error)")
        }
    }

    /// torchscale's block, as chapter 07 configures it (RMSNorm, GLU with swish, float32 γ and θ):
    /// the first block of a one-layer model with seeded random weights.
    public func block() throws(FigureError) -> RetNetBlock<Double> {
        try check()
        let config = RetNetConfig(variant: .torchscale, embedDim: embedDim, valueEmbedDim: valueDim,
                                  retentionHeads: heads, ffnEmbedDim: ffnDim, layers: 1, vocabSize: 26,
                                  activationFn: .swish)
        do {
            return try RetNet<Double>.random(config: config, seed: seed &+ 1).blocks[0]
        } catch {
            throw .retention("\(error)")
        }
    }

    var sizes: String { "n = \(length), E = \(embedDim), V = \(valueDim), h = \(heads) (d_k = \(keyDim), d_v = \(headValueDim))" }
}
