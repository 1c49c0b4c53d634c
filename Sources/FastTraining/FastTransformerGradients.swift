import Matrices
import RetNetModel
import Transformer

/// The next-token loss of a batch of sequences and its gradient for every weight of a
/// `Transformer<Float>`, on the SIMD kernels: `Transformer.gradients` made fast as
/// `FastGradients` makes the RetNet's, with the same pieces — the embedding, the final norm, the
/// output projection and the loss (`ModelEnds`), each block's FFN half (`FeedForwardHalf`), one
/// GEMM per linear map over all B·T rows — and softmax attention in place of retention: each head
/// of each sequence on its T×T causal softmax weights (`SoftmaxHeads`), pairs of sequence and head
/// split between threads.
///
/// Only work is split, never a sum: the loss and the gradients are bit-for-bit the same on any
/// number of threads.
public struct FastTransformerGradients: Sendable {
    /// Threads for every product, head and row-wise step (≥ 1).
    public let threads: Int

    /// Throws `.argument` for a thread count outside 1...`ThreadCount.maximum`.
    public init(threads: Int = 1) throws(TransformerError) {
        if let expected = ThreadCount.expectation(unmetBy: threads) { throw .argument(name: "threads", expected: expected, got: "\(threads)") }
        self.threads = threads
    }

    /// Mean next-token loss over all sequences (each of T + 1 tokens gives T predictions; all
    /// sequences the same length, ≥ 2 tokens) and its gradient for every weight: the same
    /// numbers as averaging `model.gradients(sequence)` over the sequences, up to Float rounding.
    ///
    /// Throws `.argument` for no sequence, sequences of fewer than 2 tokens or of different
    /// lengths, `.token` for an id outside the vocabulary.
    public func lossAndGradients(_ model: Transformer<Float>, sequences: [[Int]]) throws(TransformerError)
        -> (loss: Float, gradients: TransformerGradients<Float>)
    {
        let pass = try forward(model, sequences: sequences)
        let (batch, rows, e, vocabulary, blocks) = (pass.batch, pass.batch.rows, model.config.embedDim, model.config.vocabSize,
                                                    pass.blocks)
        let (hidden, kept, heads, embedScale) = (pass.hidden, pass.kept, pass.heads, Float(model.config.embedScale))

        // The loss, and the backward pass: the output projection and the final norm, the blocks
        // last first, the embedding.
        let first = blocks[0]
        let scratch = BackwardScratch(rows: rows, embed: e, value: first.value, hidden: first.hidden,
                                      expandWidth: first.expandWidth, projectionWidth: first.projectionWidth)
        let end = ModelEnds.head(layerNorm: model.layerNorm, outputProjection: model.outputProjection,
                                 last: hidden[blocks.count].pointer, targets: batch.targets,
                                 buffers: HeadBuffers(rows: rows, embed: e, vocabulary: vocabulary), scratch: scratch,
                                 threads: threads)
        var gradients = TransformerGradients(zeroFor: model)
        gradients.layerNorm = end.layerNorm
        gradients.outputProjection = end.outputProjection
        for l in blocks.indices.reversed() {
            gradients.blocks[l] = blocks[l].backward(hidden[l].pointer, kept: kept[l], heads: heads[l], rows: rows,
                                                     scratch: scratch, threads: threads)
        }
        gradients.embedTokens = ModelEnds.embeddingGradient(inputs: batch.inputs, scale: embedScale,
                                                            outputGradient: scratch.dX.pointer, vocabulary: vocabulary, width: e)
        withExtendedLifetime(pass.rotations) {}  // the heads read its tables until here
        return (end.loss, gradients)
    }

    /// The mean next-token loss alone (the forward pass, and the loss's own gradient at the
    /// output): the same number `lossAndGradients` returns, for evaluations. Throws as it does.
    public func loss(_ model: Transformer<Float>, sequences: [[Int]]) throws(TransformerError) -> Float {
        let pass = try forward(model, sequences: sequences)
        let first = pass.blocks[0]
        let scratch = BackwardScratch(rows: pass.batch.rows, embed: model.config.embedDim, value: first.value,
                                      hidden: first.hidden, expandWidth: first.expandWidth, projectionWidth: first.projectionWidth)
        let end = ModelEnds.head(layerNorm: model.layerNorm, outputProjection: model.outputProjection,
                                 last: pass.hidden[pass.blocks.count].pointer, targets: pass.batch.targets,
                                 buffers: HeadBuffers(rows: pass.batch.rows, embed: model.config.embedDim,
                                                      vocabulary: model.config.vocabSize),
                                 scratch: scratch, threads: threads)
        withExtendedLifetime(pass.rotations) {}
        return end.loss
    }

    /// The forward pass: X⁰ = s · E[tokens], then every block, keeping what the backward pass reads.
    private func forward(_ model: Transformer<Float>, sequences: [[Int]]) throws(TransformerError)
        -> (batch: TrainingBatch, blocks: [TransformerTrainingBlock], rotations: PositionRotations, hidden: [FloatBuffer],
            kept: [AttentionActivations], heads: [SoftmaxHeads])
    {
        let batch: TrainingBatch
        do { batch = try TrainingBatch(sequences, vocabularySize: model.config.vocabSize) } catch { throw TransformerError(error) }
        let (rows, length, threads) = (batch.rows, batch.length, threads)
        let e = model.config.embedDim
        let blocks = model.blocks.map(TransformerTrainingBlock.init)
        let rotations = PositionRotations(model.blocks[0].attention.rotation, length: length)
        let embedScale = Float(model.config.embedScale)
        let hidden = (0...blocks.count).map { _ in FloatBuffer(rows * e) }
        ModelEnds.embed(model.embedTokens, inputs: batch.inputs, scale: embedScale, into: hidden[0].pointer)
        var kept: [AttentionActivations] = []
        var heads: [SoftmaxHeads] = []
        for (l, block) in blocks.enumerated() {
            kept.append(AttentionActivations(block, rows: rows))
            heads.append(SoftmaxHeads(block: block, activations: kept[l], length: length, rotation: rotations.table))
            block.forward(hidden[l].pointer, into: hidden[l + 1].pointer, keeping: kept[l], heads: heads[l], rows: rows,
                          threads: threads)
        }
        return (batch, blocks, rotations, hidden, kept, heads)
    }
}
