import Foundation
import RetNetModel

/// Every buffer one `FastGradients.lossAndGradients` call writes, for one model configuration
/// and batch shape: the blocks' weights laid out for the GEMMs, the hidden states X⁰ … Xᴸ, each
/// block's kept activations, the gradients flowing back, and the head's norm, logits and losses
/// (about 60 MB at nanoGPT's CPU shape). Every buffer is written in full before it is read, so a
/// workspace serves call after call without being cleared.
final class TrainingWorkspace {
    let config: RetNetConfig
    let sequences: Int, length: Int
    /// The last call's blocks: their weight buffers are refilled by the next call.
    var blocks: [TrainingBlock]
    let hidden: [FloatBuffer]
    let kept: [BlockActivations]
    let scratch: BackwardScratch
    let head: HeadBuffers

    init(_ model: RetNet<Float>, batch: TrainingBatch) {
        let (rows, e) = (batch.rows, model.config.embedDim)
        config = model.config
        (sequences, length) = (batch.sequences, batch.length)
        blocks = model.blocks.map { TrainingBlock($0) }
        hidden = (0...blocks.count).map { _ in FloatBuffer(rows * e) }
        kept = blocks.map { BlockActivations($0, rows: rows, length: batch.length) }
        scratch = BackwardScratch(blocks[0], rows: rows)
        head = HeadBuffers(rows: rows, embed: e, vocabulary: model.config.vocabSize)
    }

    /// Whether this workspace has the buffers for `model`'s configuration and `batch`'s shape.
    func fits(_ model: RetNet<Float>, _ batch: TrainingBatch) -> Bool {
        config == model.config && sequences == batch.sequences && length == batch.length
    }

    /// Lays out `model`'s block weights for the GEMMs in this workspace's buffers (a model that fits).
    func load(_ model: RetNet<Float>) {
        blocks = zip(model.blocks, blocks).map { TrainingBlock($0, reusing: $1) }
    }
}

/// The workspace of the last call, kept for the next call of the same shape: training calls
/// `lossAndGradients` thousands of times on one shape, and fresh buffers of tens of megabytes
/// cost a page fault per 4 KiB and a clearing on every call. One workspace at a time: a call
/// takes it (or makes its own when it is missing, busy or of another shape) and leaves its own
/// for the next, so concurrent calls never share buffers.
final class WorkspaceCache: @unchecked Sendable {
    // Why `@unchecked Sendable` is safe: `spare` is read and written only with `lock` held, and a
    // workspace taken out belongs to the one call that took it until it is kept again.
    private let lock = NSLock()
    private var spare: TrainingWorkspace?

    /// The kept workspace with `model`'s weights loaded if it fits, else a new one.
    func take(_ model: RetNet<Float>, batch: TrainingBatch) -> TrainingWorkspace {
        lock.lock()
        let kept = spare
        spare = nil
        lock.unlock()
        guard let kept, kept.fits(model, batch) else { return TrainingWorkspace(model, batch: batch) }
        kept.load(model)
        return kept
    }

    /// Keeps `workspace` for the next call.
    func keep(_ workspace: TrainingWorkspace) {
        lock.lock()
        spare = workspace
        lock.unlock()
    }
}
