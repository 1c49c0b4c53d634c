import FastLayers
import Kernels
import Foundation

/// Every buffer one gradient pass writes, for one model configuration, batch shape and thread
/// count: the blocks' weights laid out for the GEMMs, the hidden states X⁰ … Xᴸ, each block's
/// kept activations, the gradients flowing back, each thread's head scratch, the positions'
/// rotations, and the output's norm, logits and losses (about 60 MB at nanoGPT's CPU shape).
/// Every buffer is written in full before it is read, so a workspace serves call after call
/// without being cleared.
final class TrainingWorkspace<Model: TrainableDecoder> {
    let configuration: Model.Configuration
    let sequences: Int, length: Int, threads: Int
    let form: Model.Mixer.Form
    /// The last call's blocks: their weight buffers are refilled by the next call.
    var blocks: [TrainingBlock<Model.Mixer>]
    let hidden: [FloatBuffer]
    let kept: [BlockActivations<Model.Mixer>]
    let scratch: BackwardScratch
    let headScratch: [HeadScratch]
    let rotations: PositionRotations
    let logits: LogitBuffers

    init(_ model: Model, batch: TrainingBatch, threads: Int, form: Model.Mixer.Form) {
        let (rows, e, length) = (batch.rows, model.embedTokens.columns, batch.length)
        configuration = model.configuration
        (sequences, self.length, self.threads, self.form) = (batch.sequences, length, threads, form)
        let blocks = (0..<model.blockCount).map {
            TrainingBlock<Model.Mixer>(model.parts(ofBlock: $0), length: length, form: form, reusing: nil)
        }
        self.blocks = blocks
        hidden = (0...blocks.count).map { _ in FloatBuffer(rows * e) }
        kept = blocks.map { BlockActivations($0, rows: rows, length: length) }
        scratch = BackwardScratch(rows: rows, shape: blocks[0].shape, ffn: blocks[0].ffn)
        headScratch = (0..<threads).map { _ in blocks[0].mixer.headScratch(length: length) }
        rotations = PositionRotations(pairs: Model.Mixer.rotation(of: model.parts(ofBlock: 0).mixer).angles.count, length: length)
        logits = LogitBuffers(rows: rows, embed: e, vocabulary: model.outputProjection.rows)
    }

    /// Whether this workspace has the buffers for `model`'s configuration, `batch`'s shape and
    /// `threads` threads.
    func fits(_ model: Model, _ batch: TrainingBatch, threads: Int, form: Model.Mixer.Form) -> Bool {
        configuration == model.configuration && sequences == batch.sequences && length == batch.length
            && self.threads == threads && self.form == form
    }

    /// The floats its heads keep and its threads' head scratch hold.
    var size: WorkspaceSize {
        WorkspaceSize(sequences: sequences, length: length, threads: threads,
                      keptByHeads: kept.map(\.heads.floats), headScratch: headScratch.map(\.floats))
    }

    /// Lays out `model`'s block weights for the GEMMs in this workspace's buffers (a model that
    /// fits): a copy of every weight, the blocks shared between the threads.
    func load(_ model: Model) {
        let (previous, length, form) = (blocks, length, form)
        guard !previous.isEmpty else { return }
        blocks = [TrainingBlock<Model.Mixer>](unsafeUninitializedCapacity: previous.count) { buffer, initialized in
            let base = buffer.baseAddress!
            Bands.run(previous.count, threads: threads) { band in
                for l in band {
                    (base + l).initialize(to: TrainingBlock(model.parts(ofBlock: l), length: length, form: form,
                                                            reusing: previous[l]))
                }
            }
            initialized = previous.count
        }
    }
}

/// The workspace of the last call, kept for the next call of the same shape: training calls
/// the gradient pass thousands of times on one shape, and fresh buffers of tens of megabytes
/// cost a page fault per 4 KiB and a clearing on every call. One workspace at a time: a call
/// takes it (or makes its own when it is missing, busy or of another shape) and leaves its own
/// for the next, so concurrent calls never share buffers.
final class WorkspaceCache<Model: TrainableDecoder>: @unchecked Sendable {
    // Why `@unchecked Sendable` is safe: `spare` is read and written only with `lock` held, and a
    // workspace taken out belongs to the one call that took it until it is kept again.
    private let lock = NSLock()
    private var spare: TrainingWorkspace<Model>?

    /// The kept workspace with `model`'s weights loaded if it fits, else a new one.
    func take(_ model: Model, batch: TrainingBatch, threads: Int, form: Model.Mixer.Form) -> TrainingWorkspace<Model> {
        lock.lock()
        let kept = spare
        spare = nil
        lock.unlock()
        guard let kept, kept.fits(model, batch, threads: threads, form: form) else {
            return TrainingWorkspace(model, batch: batch, threads: threads, form: form)
        }
        kept.load(model)
        return kept
    }

    /// The size of the kept workspace, if any.
    var size: WorkspaceSize? {
        lock.lock()
        defer { lock.unlock() }
        return spare?.size
    }

    /// Keeps `workspace` for the next call.
    func keep(_ workspace: TrainingWorkspace<Model>) {
        lock.lock()
        spare = workspace
        lock.unlock()
    }
}

/// What a gradient pass's workspace holds for its heads, counted from its buffers as allocated:
/// per block the floats its heads keep from the forward pass for the backward (Q, K, V and the
/// form's own: the parallel form's weights when short, the chunkwise form's states), and per
/// thread the floats of its head scratch (the scores and their gradient among them).
public struct WorkspaceSize: Sendable, Equatable {
    public let sequences: Int, length: Int, threads: Int
    public let keptByHeads: [Int]
    public let headScratch: [Int]
}
