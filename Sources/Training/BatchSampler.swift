import Matrices

/// Seeded batches of training sequences, as nanoGPT's `get_batch` draws them: `batchSize`
/// windows of `context + 1` consecutive tokens, each starting at a uniformly drawn offset in
/// 0 ..< count − context (nanoGPT's x = data[i : i+context], y = data[i+1 : i+1+context]; here x
/// and y are one sequence, whose next-token loss predicts its last `context` tokens).
///
/// Batch number k is drawn by a SplitMix64 seeded from (seed, k) alone, so any batch can be drawn
/// again without replaying the ones before it: a run resumed at step k draws the same batches as
/// one that never stopped, and the generator's state is (seed, k).
public struct BatchSampler: Sendable, Equatable {
    public let tokens: [Int]
    public let context: Int
    public let batchSize: Int
    public let seed: UInt64

    /// Throws `.setting` for a context or batch size below 1 or above `TrainingConfiguration.maximumSize`,
    /// or data too short for one window
    /// of context + 1 tokens.
    public init(tokens: [Int], context: Int, batchSize: Int, seed: UInt64) throws(TrainingError) {
        guard context >= 1 else { throw .setting(name: "context", expected: "at least 1 token", got: "\(context)") }
        guard batchSize >= 1 else { throw .setting(name: "batch size", expected: "at least 1 sequence", got: "\(batchSize)") }
        for (name, value) in [("context", context), ("batch size", batchSize)] where value > TrainingConfiguration.maximumSize {
            throw .setting(name: name, expected: "at most \(TrainingConfiguration.maximumSize)", got: "\(value)")
        }
        guard tokens.count > context else {
            throw .setting(name: "context", expected: "fewer tokens than the data holds (\(tokens.count)); "
                           + "a sequence is context + 1 tokens", got: "\(context)")
        }
        (self.tokens, self.context, self.batchSize, self.seed) = (tokens, context, batchSize, seed)
    }

    /// The start offsets of batch `number`. The modulo's bias, at most count/2⁶⁴, is negligible.
    public func offsets(_ number: Int) -> [Int] {
        var generator = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: number) &* 0xD1B5_4A32_D192_ED03))
        let range = UInt64(tokens.count - context)
        return (0..<batchSize).map { _ in Int(generator.next() % range) }
    }

    /// Batch `number`: `batchSize` sequences of context + 1 tokens.
    public func batch(_ number: Int) -> [[Int]] {
        offsets(number).map { Array(tokens[$0...($0 + context)]) }
    }
}

/// The sequences of batches 0 ..< `batches` of a sampler, in order, each batch drawn when the
/// first of its sequences is reached: an evaluation over many batches holds one at a time, never
/// all of them (batch k is a function of the seed and k alone).
public struct SampledSequences: Sequence, Sendable {
    public let sampler: BatchSampler
    public let batches: Int

    public init(_ sampler: BatchSampler, batches: Int) {
        (self.sampler, self.batches) = (sampler, batches)
    }

    public struct Iterator: IteratorProtocol {
        let sequences: SampledSequences
        var batch = 0
        var current: [[Int]] = []
        var index = 0

        public mutating func next() -> [Int]? {
            if index == current.count {
                guard batch < sequences.batches else { return nil }
                current = sequences.sampler.batch(batch)
                (batch, index) = (batch + 1, 0)
            }
            index += 1
            return current[index - 1]
        }
    }

    public func makeIterator() -> Iterator { Iterator(sequences: self) }
}
