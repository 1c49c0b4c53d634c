import FastRetNet
import Kernels
import Matrices
import MultiScaleRetention
import RetNetModel

/// The next-token loss of a batch of sequences and its gradient for every weight of a
/// `RetNet<Float>`, on the SIMD kernels: chapter 10's backward pass made fast the way
/// `FastRetNet` makes the forward pass fast, for training.
///
/// - The forward pass runs on all B·T rows of the batch at once and keeps what the backward
///   pass reads (each block's norms, projections, heads, gate and FFN activations), so
///   nothing is computed twice but each head's T×T scores.
/// - Every linear map is one threaded GEMM over all rows, forward (Y = X Wᵀ) and backward
///   (dX = dY W, dW = dYᵀ X), its operands packed in the orientation they are read in.
/// - Every head of every sequence runs the parallel form as GEMMs on its T×T decay-masked
///   scores (`HeadRetention`); pairs of sequence and head are split between threads.
/// - Norms, activations and the loss run row by row, rows split between threads; the sums
///   over rows (the norms' weight gradients, the embedding's scatter-add, the loss) are taken
///   in row order afterwards.
///
/// A value keeps the buffers of its last call (tens of megabytes at nanoGPT's CPU shape) and
/// reuses them for the next call of the same shape, as a training loop makes them.
///
/// Only work is split, never a sum: the loss and the gradients are bit-for-bit the same on any
/// number of threads. Retention is exact, (Q Kᵀ ⊙ D) V, as the reference's `.exact` scaling.
public struct FastGradients: Sendable {
    /// Threads for every product, head and row-wise step (≥ 1).
    public let threads: Int
    /// The buffers of the last call, for the next of the same shape (shared by copies of this value).
    private let cache = WorkspaceCache()

    /// Throws `.argument` for a thread count outside 1...`ThreadCount.maximum`.
    public init(threads: Int = 1) throws(RetNetError) {
        if let expected = ThreadCount.expectation(unmetBy: threads) { throw .argument(name: "threads", expected: expected, got: "\(threads)") }
        self.threads = threads
    }

    /// Mean next-token loss over all sequences (each of T + 1 tokens gives T predictions; all
    /// sequences the same length, ≥ 2 tokens) and its gradient for every weight: the same
    /// numbers as averaging `model.gradients(sequence, form: .parallel, scaling: .exact)` over
    /// the sequences, up to Float rounding.
    ///
    /// Throws `.argument` for no sequence, sequences of fewer than 2 tokens or of different
    /// lengths, `.token` for an id outside the vocabulary.
    public func lossAndGradients(_ model: RetNet<Float>, sequences: [[Int]]) throws(RetNetError)
        -> (loss: Float, gradients: RetNetGradients<Float>)
    {
        let batch = try TrainingBatch(sequences, vocabularySize: model.config.vocabSize)
        let (rows, length, threads) = (batch.rows, batch.length, threads)
        let (e, vocabulary) = (model.config.embedDim, model.config.vocabSize)
        let workspace = cache.take(model, batch: batch)
        defer { cache.keep(workspace) }
        let (blocks, hidden, kept, scratch) = (workspace.blocks, workspace.hidden, workspace.kept, workspace.scratch)

        // cos and sin of nθ_j for the positions 0 … T−1 every sequence shares.
        let rotations = PositionRotations(model.blocks[0].retention.rotation, length: length)

        // Forward: X⁰ = s · E[tokens], then every block, keeping what the backward pass reads.
        let embedScale = Float(model.config.embedScale)
        ModelEnds.embed(model.embedTokens, inputs: batch.inputs, scale: embedScale, into: hidden[0].pointer)
        var heads: [HeadRetention] = []
        for (l, block) in blocks.enumerated() {
            heads.append(HeadRetention(block: block, activations: kept[l], length: length, rotation: rotations.table))
            block.forward(hidden[l].pointer, into: hidden[l + 1].pointer, keeping: kept[l], heads: heads[l], rows: rows,
                          threads: threads)
        }

        // The loss, and the backward pass: the output projection and the final norm, the blocks
        // last first, the embedding.
        let end = ModelEnds.head(layerNorm: model.layerNorm, outputProjection: model.outputProjection,
                                 last: hidden[blocks.count].pointer, targets: batch.targets, buffers: workspace.head,
                                 scratch: scratch, threads: threads)
        var gradients = RetNetGradients(zeroFor: model)
        gradients.layerNorm = end.layerNorm
        gradients.outputProjection = end.outputProjection
        for l in blocks.indices.reversed() {
            gradients.blocks[l] = blocks[l].backward(hidden[l].pointer, kept: kept[l], heads: heads[l], rows: rows,
                                                     scratch: scratch, threads: threads)
        }
        gradients.embedTokens = ModelEnds.embeddingGradient(inputs: batch.inputs, scale: embedScale,
                                                            outputGradient: scratch.dX.pointer, vocabulary: vocabulary, width: e)
        withExtendedLifetime(rotations) {}  // the heads read its tables until here
        return (end.loss, gradients)
    }
}
