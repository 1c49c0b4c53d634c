import Foundation
import Matrices
import MultiScaleRetention
import RetNetModel

/// Where the trainer gets the loss and the gradients of a batch: the mean next-token loss over
/// all `sequences` and its gradient with respect to every weight of a `Model`.
///
/// `ReferenceGradients` is the RetNet's own explicit backward pass (chapter 10), sequence by
/// sequence: slow and plainly correct. `FastGradients` and `FastTransformerGradients` (module
/// `FastTraining`) are the RetNet's and the Transformer's on the SIMD kernels. Whatever the
/// source, it must be deterministic — the same model and batch give the same bits — for a run
/// to repeat and to resume bit for bit.
public protocol GradientSource<Model>: Sendable {
    associatedtype Model: TrainableModel = RetNet<Float>
    associatedtype Gradients: NamedGradients
    /// What it throws for a batch it refuses (`RetNetError`, `TransformerError`).
    associatedtype Failure: TrainingErrorConvertible
    /// The threads it computes on (≥ 1); a training loop takes its optimiser step on as many.
    /// One unless the source says otherwise.
    var threads: Int { get }
    /// The mean next-token loss over all sequences (each of the same length ≥ 2), and its gradients.
    func lossAndGradients(_ model: Model, sequences: [[Int]]) throws(Failure) -> (loss: Float, gradients: Gradients)
}

extension GradientSource {
    public var threads: Int { 1 }

    /// `lossAndGradients`, the gradients as named tensors and a refusal as a `TrainingError`:
    /// what the trainer calls, on a source of any type.
    func trainingStep(_ model: Model, sequences: [[Int]]) throws(TrainingError) -> (loss: Float, gradients: [NamedTensor]) {
        do {
            let result = try lossAndGradients(model, sequences: sequences)
            return (result.loss, result.gradients.tensors)
        } catch {
            throw error.trainingError
        }
    }
}

/// The reference source: `RetNet.gradients(_:form:scaling:)` on every sequence (in `form`, the
/// parallel one unless told; exact retention), averaged. With `threads` > 1 the sequences are shared between threads, and
/// the per-sequence results are summed afterwards in sequence order, so the bits do not depend
/// on the number of threads.
public struct ReferenceGradients: GradientSource {
    public let threads: Int
    public let form: RetentionForm

    /// Throws `.argument` for a thread count outside 1...`ThreadCount.maximum` or a chunk size
    /// below 1.
    public init(threads: Int = 1, form: RetentionForm = .parallel) throws(RetNetError) {
        if let expected = ThreadCount.expectation(unmetBy: threads) { throw .argument(name: "threads", expected: expected, got: "\(threads)") }
        if case .chunkwise(let b) = form, b < 1 { throw .argument(name: "chunk size", expected: "at least 1", got: "\(b)") }
        (self.threads, self.form) = (threads, form)
    }

    public func lossAndGradients(_ model: RetNet<Float>, sequences: [[Int]]) throws(RetNetError)
        -> (loss: Float, gradients: RetNetGradients<Float>)
    {
        guard !sequences.isEmpty else { throw .argument(name: "sequences", expected: "at least one sequence", got: "none") }
        let results = ParallelMap.run(sequences.count, threads: threads) { i throws(RetNetError) in
            try model.gradients(sequences[i], form: form, scaling: .exact)
        }
        var loss: Float = 0
        var sum = RetNetGradients(zeroFor: model)
        for result in results {
            let (l, g) = try result.get()
            loss += l
            sum.add(g)
        }
        let scale = 1 / Float(sequences.count)
        sum.scale(by: scale)
        return (loss * scale, sum)
    }
}

/// Runs `body(i)` for i in 0..<count on up to `threads` threads and returns the results in index
/// order (each index computed once, on whichever thread; the order of the results is fixed).
enum ParallelMap {
    static func run<T: Sendable, Failure: Error>(_ count: Int, threads: Int, _ body: @Sendable (Int) throws(Failure) -> T)
        -> [Result<T, Failure>]
    {
        let workers = max(1, min(threads, count))
        if workers == 1 { return (0..<count).map { i in Result { () throws(Failure) in try body(i) } } }
        let slots = ResultSlots<Result<T, Failure>>(count)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for i in stride(from: worker, to: count, by: workers) {
                slots.set(i, Result { () throws(Failure) in try body(i) })
            }
        }
        return slots.values
    }
}

/// One slot per index, each written by exactly one thread.
private final class ResultSlots<T>: @unchecked Sendable {
    private var slots: [T?]
    private let lock = NSLock()
    init(_ count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: T) { lock.withLock { slots[i] = value } }
    /// Every slot, after `concurrentPerform` has returned (each was set once).
    var values: [T] { lock.withLock { slots.compactMap { $0 } } }
}
