/// The loss and gradients of a batch for any `TrainableDecoder`, on the SIMD kernels — the one
/// driver behind `FastGradients` (the RetNet) and `FastTransformerGradients` (the Transformer):
///
///     X⁰ = s · E[tokens]                                  (`ModelEnds.embed`)
///     Xˡ⁺¹ = Blockˡ(Xˡ), keeping what the backward reads   (`TrainingBlock.forward`)
///     L, dXᴸ from Norm(Xᴸ) W_outᵀ                          (`ModelEnds.head`)
///     dXˡ from dXˡ⁺¹, the blocks last first               (`TrainingBlock.backward`)
///     dE from dX⁰                                          (`ModelEnds.embeddingGradient`)
///
/// It keeps the buffers of its last call and reuses them for the next call of the same shape.
/// Only work is split between threads, never a sum: the loss and the gradients are bit-for-bit
/// the same on any number of threads.
struct GradientPass<Model: TrainableDecoder>: Sendable {
    let threads: Int
    /// The form every block's heads run in.
    let form: Model.Mixer.Form
    private let cache = WorkspaceCache<Model>()

    init(threads: Int, form: Model.Mixer.Form) {
        (self.threads, self.form) = (threads, form)
    }

    /// The floats the last call's workspace holds (nil before the first call).
    var lastWorkspace: WorkspaceSize? { cache.size }

    /// The forward pass into `w`: X⁰ … Xᴸ and every block's kept activations; returns the
    /// blocks' heads, which the backward pass reuses.
    private func forward(_ model: Model, _ batch: TrainingBatch, _ w: TrainingWorkspace<Model>, clock: PhaseClock? = nil)
        -> [Model.Mixer.Heads]
    {
        clock.time(.heads) { w.rotations.fill(Model.Mixer.rotation(of: model.parts(ofBlock: 0).mixer)) }
        clock.time(.embedding) {
            ModelEnds.embed(model.embedTokens, inputs: batch.inputs, scale: model.embedScaleFactor, into: w.hidden[0].pointer)
        }
        var heads: [Model.Mixer.Heads] = []
        for (l, block) in w.blocks.enumerated() {
            heads.append(block.mixer.heads(length: batch.length, rotation: w.rotations.table, buffers: w.kept[l].heads))
            block.forward(w.hidden[l].pointer, into: w.hidden[l + 1].pointer, keeping: w.kept[l], heads: heads[l],
                          rows: batch.rows, scratch: w.headScratch, threads: threads, clock: clock)
        }
        return heads
    }

    /// The mean next-token loss of `sequences` (each of T + 1 tokens gives T predictions; all
    /// the same length, ≥ 2 tokens) and its gradient for every weight of `model`. Throws
    /// `.argument` for no sequence, sequences of fewer than 2 tokens or of different lengths,
    /// `.token` for an id outside the vocabulary. With `positionWeights` (per sequence, one weight
    /// per prediction) the loss is their weighted mean (`TrainingBatch`). With a `clock`, each
    /// phase's time is added to it.
    func lossAndGradients(_ model: Model, sequences: [[Int]], positionWeights: [[Float]]? = nil,
                          clock: PhaseClock? = nil) throws(Model.Failure)
        -> (loss: Float, gradients: Model.Gradients)
    {
        let batch = try TrainingBatch(sequences, positionWeights: positionWeights, vocabularySize: model.outputProjection.rows,
                                      refusing: Model.Failure.self)
        let w = cache.take(model, batch: batch, threads: threads, form: form)
        defer { cache.keep(w) }
        let heads = forward(model, batch, w, clock: clock)
        let (rows, blocks, s) = (batch.rows, w.blocks, w.scratch)
        let end = clock.time(.loss) {
            ModelEnds.head(layerNorm: model.layerNorm, outputProjection: model.outputProjection,
                           last: w.hidden[blocks.count].pointer, targets: batch.targets, weights: batch.weights,
                           buffers: w.logits, scratch: s, threads: threads)
        }
        var blockGradients: [BlockGradients<Model.Mixer.Gradients>] = []
        blockGradients.reserveCapacity(blocks.count)
        for l in blocks.indices.reversed() {
            blockGradients.append(blocks[l].backward(w.hidden[l].pointer, kept: w.kept[l], heads: heads[l], rows: rows,
                                                     scratch: s, headScratch: w.headScratch, threads: threads,
                                                     clock: clock))
        }
        let dEmbed = clock.time(.embedding) {
            ModelEnds.embeddingGradient(inputs: batch.inputs, scale: model.embedScaleFactor, outputGradient: s.dX.pointer,
                                        vocabulary: model.outputProjection.rows, width: model.embedTokens.columns)
        }
        let gradients = model.gradients(embedTokens: dEmbed, blocks: blockGradients.reversed(), layerNorm: end.layerNorm,
                                        outputProjection: end.outputProjection)
        return (end.loss, gradients)
    }

    /// The mean next-token loss alone (the forward pass, and the loss's own gradient at the
    /// output): the same number `lossAndGradients` returns, for evaluations. Throws as it does.
    func loss(_ model: Model, sequences: [[Int]], positionWeights: [[Float]]? = nil) throws(Model.Failure) -> Float {
        try lossAndPredictions(model, sequences: sequences, positionWeights: positionWeights).loss
    }

    /// `loss`, and the model's prediction (its largest logit) at each of the T positions of each
    /// sequence.
    func lossAndPredictions(_ model: Model, sequences: [[Int]], positionWeights: [[Float]]? = nil) throws(Model.Failure)
        -> (loss: Float, predictions: [[Int]])
    {
        let batch = try TrainingBatch(sequences, positionWeights: positionWeights, vocabularySize: model.outputProjection.rows,
                                      refusing: Model.Failure.self)
        let w = cache.take(model, batch: batch, threads: threads, form: form)
        defer { cache.keep(w) }
        _ = forward(model, batch, w)
        let loss = ModelEnds.head(layerNorm: model.layerNorm, outputProjection: model.outputProjection,
                                  last: w.hidden[w.blocks.count].pointer, targets: batch.targets, weights: batch.weights,
                                  buffers: w.logits, scratch: w.scratch, threads: threads).loss
        let flat = ModelEnds.predictions(w.logits, rows: batch.rows, vocabulary: model.outputProjection.rows)
        let predictions = (0..<batch.sequences).map { Array(flat[($0 * batch.length)..<(($0 + 1) * batch.length)]) }
        return (loss, predictions)
    }
}
