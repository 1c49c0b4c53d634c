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
/// Only work is split, never a sum: the loss and the gradients are bit-for-bit the same on any
/// number of threads. Retention is exact, (Q Kᵀ ⊙ D) V, as the reference's `.exact` scaling.
public struct FastGradients: Sendable {
    /// Threads for every product, head and row-wise step (≥ 1).
    public let threads: Int

    /// Throws `.argument` for threads < 1.
    public init(threads: Int = 1) throws(RetNetError) {
        guard threads >= 1 else { throw .argument(name: "threads", expected: "a thread count ≥ 1", got: "\(threads)") }
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
        let blocks = model.blocks.map(TrainingBlock.init)

        // cos and sin of nθ_j for the positions 0 … T−1 every sequence shares.
        let rotation = model.blocks[0].retention.rotation
        let pairs = rotation.angles.count
        let (cosines, sines) = (FloatBuffer(length * pairs), FloatBuffer(length * pairs))
        let table = RotationTable(pairs: pairs, cos: cosines.pointer, sin: sines.pointer)
        table.fill(rotation, positions: 0..<length)

        // Forward: X⁰ = s · E[tokens], then every block, keeping what the backward pass reads.
        let embedScale = Float(model.config.embedScale)
        let hidden = (0...blocks.count).map { _ in FloatBuffer(rows * e) }
        model.embedTokens.storage.withUnsafeBufferPointer { embed in
            for (r, id) in batch.inputs.enumerated() {
                for c in 0..<e { hidden[0].pointer[r * e + c] = embedScale * embed[id * e + c] }
            }
        }
        var kept: [BlockActivations] = []
        var heads: [HeadRetention] = []
        for (l, block) in blocks.enumerated() {
            kept.append(BlockActivations(block, rows: rows))
            heads.append(HeadRetention(block: block, activations: kept[l], length: length, rotation: table))
            block.forward(hidden[l].pointer, into: hidden[l + 1].pointer, keeping: kept[l], heads: heads[l], rows: rows,
                          threads: threads)
        }
        let layerNorm = model.layerNorm, last = hidden[blocks.count]
        let normed = FloatBuffer(rows * e)
        Bands.run(rows, threads: threads) { band in RowNorms.block(layerNorm, last.pointer, into: normed.pointer, rows: band, width: e) }
        let head = FloatBuffer(concatenating: [model.outputProjection.storage])
        let logits = FloatBuffer(rows * vocabulary)
        Linear.forward(normed.pointer, weight: head.pointer, into: logits.pointer, rows: rows, inputs: e, outputs: vocabulary,
                       threads: threads)

        // The loss, and ∂L/∂logits.
        let losses = FloatBuffer(rows), dLogits = FloatBuffer(rows * vocabulary)
        Bands.run(rows, threads: threads) { band in
            LossRows.evaluate(logits.pointer, targets: batch.targets, rows: band, vocabulary: vocabulary, count: rows,
                              losses: losses.pointer, gradient: dLogits.pointer)
        }
        var total: Double = 0
        for r in 0..<rows { total += Double(losses.pointer[r]) }
        let loss = Float(total / Double(rows))

        // Backward: the output projection, the final norm, the blocks last first, the embedding.
        let scratch = BackwardScratch(blocks[0], rows: rows)
        Linear.inputGradient(dLogits.pointer, weight: head.pointer, into: scratch.dNormed.pointer, rows: rows, inputs: e,
                             outputs: vocabulary, threads: threads)
        let dHead = FloatBuffer(vocabulary * e)
        Linear.weightGradient(dLogits.pointer, input: normed.pointer, into: dHead.pointer, rows: rows, inputs: e,
                              outputs: vocabulary, threads: threads)
        Bands.run(rows, threads: threads) { band in
            NormRows.block(layerNorm, last.pointer, scratch.dNormed.pointer, into: scratch.dX.pointer,
                           weightTerms: scratch.weightTerms.pointer, rows: band, width: e)
        }
        var gradients = RetNetGradients(zeroFor: model)
        gradients.layerNorm = NormRows.gradients(layerNorm, weightTerms: scratch.weightTerms.pointer,
                                                 outputGradient: scratch.dNormed.pointer, rows: rows, width: e)
        gradients.outputProjection = Matrix(rows: vocabulary, columns: e, entries: dHead.array())
        for l in blocks.indices.reversed() {
            gradients.blocks[l] = blocks[l].backward(hidden[l].pointer, kept: kept[l], heads: heads[l], rows: rows,
                                                     scratch: scratch, threads: threads)
        }
        // X⁰_r = s · E[token_r]: row r of dX⁰, times s, added into row token_r of dE, rows in order.
        var dEmbed = [Float](repeating: 0, count: vocabulary * e)
        for (r, id) in batch.inputs.enumerated() {
            for c in 0..<e { dEmbed[id * e + c] += embedScale * scratch.dX.pointer[r * e + c] }
        }
        gradients.embedTokens = Matrix(rows: vocabulary, columns: e, entries: dEmbed)
        return (loss, gradients)
    }
}
