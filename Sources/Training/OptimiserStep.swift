/// What one training step does with a batch's loss and gradients, whatever the batch: refuse a
/// loss or norm that is not finite, clip the gradients by their global norm, and take AdamW's
/// step at the schedule's rate. `Trainer` steps with it on a corpus; a task's own loop (module
/// `Recall`) on its examples.
///
/// Two passes over the parameters, on the gradients' threads: the gradients' global norm (read
/// only), then clipping and AdamW together — each gradient multiplied by the clipping factor as
/// AdamW reads it (`ParameterUpdate`), the clipped gradients never stored. Bit-for-bit the same on
/// any number of threads.
public struct OptimiserStep: Sendable {
    public let adamW: AdamW
    public let schedule: LearningRateSchedule
    /// The largest global gradient norm; 0: no clipping.
    public let gradientClip: Double
    /// Threads for the norm and the update (≥ 1; the gradient source's, as a training loop makes it).
    public let threads: Int

    /// The optimiser, schedule and clipping of `configuration`, on `threads` threads. Throws
    /// `.setting` as they do, and for fewer than 1 thread.
    public init(_ configuration: TrainingConfiguration, threads: Int = 1) throws(TrainingError) {
        guard threads >= 1 else { throw .setting(name: "threads", expected: "at least 1", got: "\(threads)") }
        (adamW, schedule, gradientClip) = (try configuration.optimizer(), try configuration.schedule(), configuration.gradientClip)
        self.threads = threads
    }

    /// Step `index` (the steps taken before it) from `loss` and `gradients`: updates `parameters`,
    /// `state` and `model` together, or, when it throws, none of them. Throws `.nonFinite` naming
    /// the step for a loss or gradient norm that is not a finite number.
    public func apply<Model: TrainableModel>(loss: Float, gradients: [NamedTensor], index: Int, model: inout Model,
                                             parameters: inout [NamedTensor], state: inout AdamW.State)
        throws(TrainingError) -> StepRecord
    {
        let rate = schedule.rate(at: index)
        guard loss.isFinite else { throw .nonFinite(what: "training loss", step: index, value: loss) }
        let norm = GradientClipping.globalNorm(gradients, threads: threads)
        guard norm.isFinite else { throw .nonFinite(what: "gradient norm", step: index, value: Float(norm)) }
        // AdamW writes the new values to new arrays: these share the old ones' storage, and the
        // old values stay as they are until the model has taken the new ones. Nothing is copied.
        var updated = parameters
        var newState = state
        try adamW.update(&updated, gradients: gradients, learningRate: rate, state: &newState,
                         gradientScale: GradientClipping.factor(norm: norm, maxNorm: gradientClip), threads: threads)
        do {
            model = try model.with(parameters: updated)
        } catch {
            throw error.trainingError
        }
        parameters = updated
        state = newState
        return StepRecord(step: index, loss: loss, learningRate: rate, gradientNorm: norm)
    }
}
