/// The settings of a training run (nanoGPT's names in parentheses; defaults are its CPU example
/// for `shakespeare_char`, without dropout): what a checkpoint stores so that a resumed run
/// continues the same run.
public struct TrainingConfiguration: Sendable, Equatable, Codable {
    /// Optimiser steps in all (`max_iters`; the cosine decays over all of them, `lr_decay_iters`).
    public var iterations: Int = 2000
    /// Sequences per step (`batch_size`).
    public var batchSize: Int = 12
    /// Tokens each position may look back over: a sequence is context + 1 tokens (`block_size`).
    public var context: Int = 64
    /// The peak learning rate (`learning_rate`).
    public var learningRate: Double = 1e-3
    /// The learning rate at the end of the cosine (`min_lr`).
    public var minLearningRate: Double = 1e-4
    /// Steps of linear warm-up (`warmup_iters`).
    public var warmupIterations: Int = 100
    /// λ of AdamW (`weight_decay`).
    public var weightDecay: Double = 0.1
    /// β₁, β₂ of AdamW (`beta1`, `beta2`).
    public var beta1: Double = 0.9
    public var beta2: Double = 0.99
    /// The largest global gradient norm; 0 turns clipping off (`grad_clip`).
    public var gradientClip: Double = 1.0
    /// The seed of the batches (and, elsewhere, of the initial weights).
    public var seed: UInt64 = 1337
    /// Evaluate (and write a checkpoint) every this many steps (`eval_interval`).
    public var evalInterval: Int = 250
    /// Batches per evaluation of each split (`eval_iters`).
    public var evalIterations: Int = 20
    /// The gradients' heads in their form for long sequences, chunks or blocks of this many tokens,
    /// 1 … context (`chunk_size`, this project's own setting): a RetNet's chunkwise form, a
    /// Transformer's tiled attention; nil: the parallel (naive) form. The forms give the same
    /// gradients up to rounding, not the same bits, so a resumed run keeps its form.
    public var chunkSize: Int?

    public init() {}

    /// The largest batch size, context and evaluation count a run takes (as `retnet train`'s
    /// model flags: a batch of 65,536 sequences of 65,537 tokens is already billions of tokens). A
    /// larger number, from a flag or a training.json, is refused before anything is allocated.
    public static let maximumSize = 65_536

    /// nanoGPT's names for the settings.
    enum CodingKeys: String, CodingKey {
        case iterations = "max_iters", batchSize = "batch_size", context = "block_size", learningRate = "learning_rate"
        case minLearningRate = "min_lr", warmupIterations = "warmup_iters", weightDecay = "weight_decay", beta1, beta2
        case gradientClip = "grad_clip", seed, evalInterval = "eval_interval", evalIterations = "eval_iters"
        case chunkSize = "chunk_size"
    }

    /// The learning rate schedule these settings give.
    public func schedule() throws(TrainingError) -> LearningRateSchedule {
        // warmup + 1 checked: a warm-up of Int.max steps (a hostile training.json) is refused, not a trap.
        let (afterWarmup, overflow) = warmupIterations.addingReportingOverflow(1)
        guard !overflow else {
            throw .setting(name: "warm-up", expected: "fewer than \(Int.max) steps", got: "\(warmupIterations)")
        }
        return try LearningRateSchedule(peak: learningRate, minimum: minLearningRate, warmup: warmupIterations,
                                        decaySteps: max(iterations, afterWarmup))
    }

    /// The optimiser these settings give.
    public func optimizer() throws(TrainingError) -> AdamW {
        try AdamW(beta1: beta1, beta2: beta2, weightDecay: weightDecay)
    }

    /// Throws `.setting` for the first value out of range.
    public func validate() throws(TrainingError) {
        for (name, value) in [("iterations", iterations), ("batch size", batchSize), ("context", context),
                              ("eval interval", evalInterval), ("eval iterations", evalIterations)] where value < 1 {
            throw .setting(name: name, expected: "at least 1", got: "\(value)")
        }
        for (name, value) in [("batch size", batchSize), ("context", context), ("eval iterations", evalIterations)]
        where value > Self.maximumSize {
            throw .setting(name: name, expected: "at most \(Self.maximumSize)", got: "\(value)")
        }
        if let chunkSize, !(1...context).contains(chunkSize) {
            throw .setting(name: "chunk size", expected: "1 … the context (\(context) tokens)", got: "\(chunkSize)")
        }
        guard gradientClip >= 0 && gradientClip.isFinite else {
            throw .setting(name: "gradient clip", expected: "a finite norm ≥ 0 (0: no clipping)", got: "\(gradientClip)")
        }
        _ = try schedule()
        _ = try optimizer()
    }
}
