import Matrices
import Transformer

/// The next-token loss of a batch of sequences and its gradient for every weight of a
/// `Transformer<Float>`, on the SIMD kernels: `Transformer.gradients` made fast as
/// `FastGradients` makes the RetNet's, through the same driver, blocks and heads — only the
/// token mixer differs: softmax attention, each head of each sequence on its T×T causal softmax
/// weights, pairs of sequence and head split between threads. A value keeps the buffers of its
/// last call and reuses them for the next call of the same shape.
///
/// Only work is split, never a sum: the loss and the gradients are bit-for-bit the same on any
/// number of threads.
public struct FastTransformerGradients: Sendable {
    /// Threads for every product, head and row-wise step (≥ 1).
    public var threads: Int { pass.threads }
    /// The form every softmax head runs in.
    public var form: AttentionForm { pass.form }
    private let pass: GradientPass<Transformer<Float>>

    /// Softmax heads in `form`: naive (T×T weights per head) or tiled in blocks of B
    /// (FlashAttention: memory linear in T; a B longer than the sequences is one block). Linear
    /// attention has no softmax to tile and runs naive in either form.
    ///
    /// Throws `.argument` for a thread count outside 1...`ThreadCount.maximum` or a block size
    /// below 1.
    public init(threads: Int = 1, form: AttentionForm = .naive) throws(TransformerError) {
        if let expected = ThreadCount.expectation(unmetBy: threads) { throw .argument(name: "threads", expected: expected, got: "\(threads)") }
        if case .tiled(let b) = form, b < 1 { throw .argument(name: "block size", expected: "at least 1", got: "\(b)") }
        pass = GradientPass(threads: threads, form: form)
    }

    /// What the last call's buffers hold for the heads, counted from the buffers themselves (nil
    /// before the first call).
    public var lastWorkspace: WorkspaceSize? { pass.lastWorkspace }

    /// Mean next-token loss over all sequences (each of T + 1 tokens gives T predictions; all
    /// sequences the same length, ≥ 2 tokens) and its gradient for every weight: the same
    /// numbers as averaging `model.gradients(sequence)` over the sequences, up to Float rounding.
    ///
    /// Throws `.argument` for no sequence, sequences of fewer than 2 tokens or of different
    /// lengths, `.token` for an id outside the vocabulary.
    public func lossAndGradients(_ model: Transformer<Float>, sequences: [[Int]]) throws(TransformerError)
        -> (loss: Float, gradients: TransformerGradients<Float>)
    {
        try pass.lossAndGradients(model, sequences: sequences)
    }

    /// The same loss and gradients, the time of each phase (embedding, norms, projections, heads,
    /// …) added to `clock`: where a step's time goes.
    public func lossAndGradients(_ model: Transformer<Float>, sequences: [[Int]], clock: PhaseClock) throws(TransformerError)
        -> (loss: Float, gradients: TransformerGradients<Float>)
    {
        try pass.lossAndGradients(model, sequences: sequences, clock: clock)
    }

    /// The mean next-token loss alone (the forward pass): the same number `lossAndGradients`
    /// returns, for evaluations. Throws as it does.
    public func loss(_ model: Transformer<Float>, sequences: [[Int]]) throws(TransformerError) -> Float {
        try pass.loss(model, sequences: sequences)
    }

    /// A task's loss, counted at some positions only: Σ w·ℓ / Σ w over every prediction, the
    /// weights given per sequence, one per prediction (T for T + 1 tokens; finite, ≥ 0, not all
    /// 0), and its gradient for every weight. Weights 1 everywhere give `lossAndGradients(_:sequences:)`'s
    /// mean up to rounding. Throws as it does, and `.argument` for weights of the wrong shape or value.
    public func lossAndGradients(_ model: Transformer<Float>, sequences: [[Int]], positionWeights: [[Float]]) throws(TransformerError)
        -> (loss: Float, gradients: TransformerGradients<Float>)
    {
        try pass.lossAndGradients(model, sequences: sequences, positionWeights: positionWeights)
    }

    /// The loss (weighted by `positionWeights` when given, else the mean) and the model's
    /// prediction — its largest logit — after each of the T first tokens of each sequence, for
    /// measuring accuracy. Throws as `lossAndGradients` does.
    public func lossAndPredictions(_ model: Transformer<Float>, sequences: [[Int]], positionWeights: [[Float]]? = nil)
        throws(TransformerError) -> (loss: Float, predictions: [[Int]])
    {
        try pass.lossAndPredictions(model, sequences: sequences, positionWeights: positionWeights)
    }
}
