import FastRetNet
import Foundation
import Matrices

/// Trains a model — a `RetNet<Float>`, or its Transformer baseline alike (`TrainableModel`) — on a
/// corpus: seeded batches, gradients from a `GradientSource`,
/// global-norm clipping, AdamW on the warm-up-then-cosine schedule; evaluations of both splits
/// on fixed batches; a checkpoint after each evaluation.
///
/// The training runs the parallel form unless the configuration has a chunk size: a sequence of
/// context + 1 = 65 tokens is short, and the parallel form's backward is a few large products.
/// The chunkwise form is what the paper trains long sequences with (its memory grows with the
/// chunk, not the sequence; `FastGradients(threads:form:)`, chapter 12); the forms give the same
/// gradients up to rounding (chapter 10).
///
/// Deterministic: the batches are a function of (seed, step), the evaluation batches of the
/// seed, every sum is taken in a fixed order, so the same settings give the same losses and
/// weights bit for bit, and a run resumed from a checkpoint continues as if it had not stopped.
public struct Trainer<Model: TrainableModel> {
    public let configuration: TrainingConfiguration
    public let corpus: Corpus
    public let source: any GradientSource<Model>
    /// The model after `optimizer.step` steps.
    public private(set) var model: Model
    /// AdamW's step count and moments.
    public private(set) var optimizer: AdamW.State
    /// Every evaluation so far, in step order.
    public private(set) var history: [Evaluation]

    private let stepper: OptimiserStep
    private let batches: BatchSampler
    private let trainEvaluation: SampledSequences
    private let validationEvaluation: SampledSequences
    private var parameters: [NamedTensor]

    /// A run from `model` (its vocabulary must be the corpus tokenizer's), or a resumed one from
    /// an optimiser state and history (see `TrainingCheckpoint`).
    ///
    /// Throws `.setting` for settings out of range, a run whose memory estimate is over the machine's
    /// (`TrainingMemory`) or a corpus too short for the context, and
    /// `.model` for a model whose vocabulary is not the tokenizer's.
    public init(model: Model, corpus: Corpus, configuration: TrainingConfiguration, source: any GradientSource<Model>,
                optimizer: AdamW.State? = nil, history: [Evaluation] = []) throws(TrainingError)
    {
        try configuration.validate()
        guard model.vocabularySize == corpus.tokenizer.count else {
            throw .setting(name: "vocab_size", expected: "\(corpus.tokenizer.count) (the tokenizer's characters)",
                           got: "\(model.vocabularySize)")
        }
        let c = configuration
        try TrainingMemory.check(shape: model.trainingShape, parameters: model.parameters.reduce(0) { $0 + $1.values.count },
                                 batchSize: c.batchSize, context: c.context, chunkSize: c.chunkSize)
        batches = try BatchSampler(tokens: corpus.train, context: c.context, batchSize: c.batchSize, seed: c.seed)
        // The evaluation batches: fixed for the run, drawn from generators of their own.
        let trainFixed = try BatchSampler(tokens: corpus.train, context: c.context, batchSize: c.batchSize, seed: c.seed ^ 0x7472_6169_6E00)
        let valFixed = try BatchSampler(tokens: corpus.validation, context: c.context, batchSize: c.batchSize, seed: c.seed ^ 0x7661_6C00)
        trainEvaluation = SampledSequences(trainFixed, batches: c.evalIterations)
        validationEvaluation = SampledSequences(valFixed, batches: c.evalIterations)
        (self.configuration, self.corpus, self.source, self.model) = (configuration, corpus, source, model)
        parameters = model.parameters
        stepper = try OptimiserStep(c, threads: source.threads)
        self.optimizer = optimizer ?? AdamW.State(zeroFor: parameters)
        self.history = history
        let moments = self.optimizer.firstMoments + self.optimizer.secondMoments
        guard moments.count == 2 * parameters.count,
              zip(moments, parameters + parameters).allSatisfy({ $0.name == $1.name && $0.shape == $1.shape })
        else {
            throw .setting(name: "optimiser state", expected: "moments named and shaped as the model's \(parameters.count) weights",
                           got: "\(moments.count) tensors that do not match")
        }
    }

    /// The number of steps taken.
    public var step: Int { optimizer.step }
    /// Whether every step of the configuration has been taken.
    public var isFinished: Bool { step >= configuration.iterations }

    /// One optimiser step on batch number `step`. Throws `.nonFinite` naming the step when the
    /// loss or the gradients' norm is not a finite number, before anything is changed.
    @discardableResult
    public mutating func takeStep() throws(TrainingError) -> StepRecord {
        let index = step
        let (loss, gradients) = try source.trainingStep(model, sequences: batches.batch(index))
        return try stepper.apply(loss: loss, gradients: gradients, index: index, model: &model, parameters: &parameters,
                                 state: &optimizer)
    }

    /// The mean loss of the model over the fixed evaluation batches of both splits (the forward
    /// pass only, on the SIMD kernels: `TrainableModel.meanLoss`).
    public func evaluate() throws(TrainingError) -> Evaluation {
        func mean(_ sequences: SampledSequences) throws(TrainingError) -> Float {
            do { return try model.meanLoss(sequences) } catch { throw error.trainingError }
        }
        return Evaluation(step: step, trainLoss: try mean(trainEvaluation), validationLoss: try mean(validationEvaluation))
    }

    /// Evaluates and appends to the history (replacing an evaluation of the same step).
    @discardableResult
    public mutating func recordEvaluation() throws(TrainingError) -> Evaluation {
        let evaluation = try evaluate()
        history.removeAll { $0.step == evaluation.step }
        history.append(evaluation)
        guard evaluation.validationLoss.isFinite && evaluation.trainLoss.isFinite else {
            throw .nonFinite(what: "evaluation loss", step: evaluation.step, value: evaluation.validationLoss)
        }
        return evaluation
    }

    /// Trains until `configuration.iterations` steps (or `stopAfter` steps, if smaller): evaluates
    /// at step 0 (unless already evaluated), after every `evalInterval` steps and after the last;
    /// after each evaluation calls `evaluated` (where a checkpoint is written). `stepped` sees
    /// every step, after that step's evaluation and `evaluated` when it has one, so that what it
    /// reports of a step can include the step's evaluation. A thrown error stops the run; what
    /// `evaluated` saved last is kept.
    public mutating func run(stopAfter: Int? = nil, stepped: (StepRecord) -> Void = { _ in },
                             evaluated: (Self, Evaluation) throws(TrainingError) -> Void = { _, _ in }) throws(TrainingError)
    {
        let end = min(configuration.iterations, stopAfter ?? Int.max)
        if history.last?.step != step {
            let evaluation = try recordEvaluation()
            try evaluated(self, evaluation)
        }
        while step < end {
            let record = try takeStep()
            if step % configuration.evalInterval == 0 || step == configuration.iterations || step == end {
                let evaluation = try recordEvaluation()
                try evaluated(self, evaluation)
            }
            stepped(record)
        }
    }
}
