import Matrices
import MultiScaleRetention
import RetNetModel

/// The next-token loss of a batch of sequences and its gradient for every weight of a
/// `RetNet<Float>`, on the SIMD kernels: chapter 10's backward pass made fast the way
/// `FastRetNet` makes the forward pass fast, for training.
///
/// - The forward pass runs on all B·T rows of the batch at once and keeps what the backward
///   pass reads (each block's norms, projections, heads, gate and FFN activations), so
///   nothing is computed twice but, for long sequences, each head's T×T scores.
/// - Every linear map is one threaded GEMM over all rows, forward (Y = X Wᵀ) and backward
///   (dX = dY W, dW = dYᵀ X), its operands packed in the orientation they are read in.
/// - Every head of every sequence runs the parallel form as GEMMs on its T×T decay-masked
///   scores; pairs of sequence and head are split between threads.
/// - Norms, activations and the loss run row by row, rows split between threads; the sums
///   over rows (the norms' weight gradients, the embedding's scatter-add, the loss) are taken
///   in row order afterwards.
///
/// The driver, the blocks and the heads are the Transformer's (`FastTransformerGradients`):
/// only the token mixer differs (multi-scale retention here). A value keeps the buffers of its
/// last call (tens of megabytes at nanoGPT's CPU shape) and reuses them for the next call of the
/// same shape, as a training loop makes them.
///
/// Only work is split, never a sum: the loss and the gradients are bit-for-bit the same on any
/// number of threads. Retention is exact, (Q Kᵀ ⊙ D) V, as the reference's `.exact` scaling.
public struct FastGradients: Sendable {
    /// Threads for every product, head and row-wise step (≥ 1).
    public var threads: Int { pass.threads }
    /// The form every head runs in.
    public var form: RetentionForm { pass.form }
    private let pass: GradientPass<RetNet<Float>>

    /// Heads in `form`: the parallel form (T×T scores per head), or the chunkwise form with
    /// chunks of B tokens (B×B scores per chunk, each chunk's starting state kept: memory linear
    /// in T; a B longer than the sequences is one chunk); the recurrent form is the chunkwise one
    /// with B = 1.
    ///
    /// Throws `.argument` for a thread count outside 1...`ThreadCount.maximum` or a chunk size
    /// below 1.
    public init(threads: Int = 1, form: RetentionForm = .parallel) throws(RetNetError) {
        if let expected = ThreadCount.expectation(unmetBy: threads) { throw .argument(name: "threads", expected: expected, got: "\(threads)") }
        if case .chunkwise(let b) = form, b < 1 {
            throw .argument(name: "chunk size", expected: "at least 1", got: "\(b)")
        }
        pass = GradientPass(threads: threads, form: form)
    }

    /// What the last call's buffers hold for the heads, counted from the buffers themselves (nil
    /// before the first call).
    public var lastWorkspace: WorkspaceSize? { pass.lastWorkspace }

    /// Mean next-token loss over all sequences (each of T + 1 tokens gives T predictions; all
    /// sequences the same length, ≥ 2 tokens) and its gradient for every weight: the same
    /// numbers as averaging `model.gradients(sequence, form: .parallel, scaling: .exact)` over
    /// the sequences, up to Float rounding.
    ///
    /// Throws `.argument` for no sequence, sequences of fewer than 2 tokens or of different
    /// lengths, `.token` for an id outside the vocabulary, `.config` naming `biases` or
    /// `final_norm` for yet-another-retnet's layout.
    public func lossAndGradients(_ model: RetNet<Float>, sequences: [[Int]]) throws(RetNetError)
        -> (loss: Float, gradients: RetNetGradients<Float>)
    {
        try model.requirePlainLayout(for: "FastGradients")
        return try pass.lossAndGradients(model, sequences: sequences)
    }

    /// The same loss and gradients, the time of each phase (embedding, norms, projections, heads,
    /// …) added to `clock`: where a step's time goes.
    public func lossAndGradients(_ model: RetNet<Float>, sequences: [[Int]], clock: PhaseClock) throws(RetNetError)
        -> (loss: Float, gradients: RetNetGradients<Float>)
    {
        try model.requirePlainLayout(for: "FastGradients")
        return try pass.lossAndGradients(model, sequences: sequences, clock: clock)
    }

    /// The mean next-token loss alone (the forward pass): the same number `lossAndGradients`
    /// returns, for evaluations. Throws as it does.
    public func loss(_ model: RetNet<Float>, sequences: [[Int]]) throws(RetNetError) -> Float {
        try model.requirePlainLayout(for: "FastGradients")
        return try pass.loss(model, sequences: sequences)
    }

    /// A task's loss, counted at some positions only: Σ w·ℓ / Σ w over every prediction, the
    /// weights given per sequence, one per prediction (T for T + 1 tokens; finite, ≥ 0, not all
    /// 0), and its gradient for every weight. Weights 1 everywhere give `lossAndGradients(_:sequences:)`'s
    /// mean up to rounding. Throws as it does, and `.argument` for weights of the wrong shape or value.
    public func lossAndGradients(_ model: RetNet<Float>, sequences: [[Int]], positionWeights: [[Float]]) throws(RetNetError)
        -> (loss: Float, gradients: RetNetGradients<Float>)
    {
        try model.requirePlainLayout(for: "FastGradients")
        return try pass.lossAndGradients(model, sequences: sequences, positionWeights: positionWeights)
    }

    /// The loss (weighted by `positionWeights` when given, else the mean) and the model's
    /// prediction — its largest logit — after each of the T first tokens of each sequence, for
    /// measuring accuracy. Throws as `lossAndGradients` does.
    public func lossAndPredictions(_ model: RetNet<Float>, sequences: [[Int]], positionWeights: [[Float]]? = nil)
        throws(RetNetError) -> (loss: Float, predictions: [[Int]])
    {
        try model.requirePlainLayout(for: "FastGradients")
        return try pass.lossAndPredictions(model, sequences: sequences, positionWeights: positionWeights)
    }
}
