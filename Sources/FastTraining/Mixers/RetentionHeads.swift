import FastLayers
import MultiScaleRetention

/// Retention's heads in the form a gradient pass asks for: the parallel form (`CausalHeads` on
/// T×T decay-masked scores) or the chunkwise one (`ChunkwiseHeads`, B×B scores per chunk and a
/// state between chunks). Both give the same gradients up to rounding (chapter 10).
typealias RetentionHeads = EitherHeads<CausalHeads<DecayMask>, ChunkwiseHeads>

/// A retention mixer's decays laid out for its form: the T×T masks of the parallel form, or the
/// B×B masks and powers of the chunkwise form (the recurrent form is the chunkwise one with
/// B = 1: each chunk one token, R its state).
enum RetentionDecays {
    case parallel(DecayMask)
    case chunkwise(ChunkDecays)

    /// For sequences of `length` tokens in `form` (a chunk size ≥ 1, checked by the caller; one
    /// longer than T is T), reusing `previous`'s tables when they are for the same.
    init(_ layer: MultiScaleRetentionLayer<Float>, length: Int, form: RetentionForm, reusing previous: RetentionDecays?) {
        let chunkSize: Int
        switch form {
        case .parallel:
            let kept: DecayMask? = if case .parallel(let mask) = previous { mask } else { nil }
            self = .parallel(DecayMask(layer.decays, length: length, reusing: kept))
            return
        case .recurrent: chunkSize = 1
        case .chunkwise(let b): chunkSize = Swift.min(b, length)
        }
        let kept: ChunkDecays? = if case .chunkwise(let decays) = previous { decays } else { nil }
        self = .chunkwise(ChunkDecays(layer.decays, chunkSize: chunkSize, reusing: kept))
    }

    /// The heads on these decays.
    func heads(_ layout: HeadLayout) -> RetentionHeads {
        switch self {
        case .parallel(let mask):
            .first(CausalHeads(scores: mask, shape: layout.shape, keyScale: layout.keyScale, length: layout.length,
                                  rotation: layout.rotation, buffers: layout.buffers))
        case .chunkwise(let decays):
            .second(ChunkwiseHeads(layout: layout, chunkSize: decays.chunkSize, mask: decays.mask, powers: decays.powers))
        }
    }

    func activations(_ shape: MixerShape, rows: Int, length: Int) -> HeadActivations {
        switch self {
        case .parallel: CausalHeads<DecayMask>.activations(shape, rows: rows, length: length)
        case .chunkwise(let decays): ChunkwiseHeads.activations(shape, rows: rows, length: length, chunkSize: decays.chunkSize)
        }
    }

    func scratch(_ shape: MixerShape, length: Int) -> HeadScratch {
        switch self {
        case .parallel: CausalHeads<DecayMask>.scratch(shape, length: length)
        case .chunkwise(let decays): ChunkwiseHeads.scratch(shape, length: length, chunkSize: decays.chunkSize)
        }
    }
}
