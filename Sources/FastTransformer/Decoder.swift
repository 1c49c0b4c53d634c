import FastLayers
import Transformer

extension FastTransformer {
    /// Decoding B sequences with no allocation: each step reads one token per sequence at that
    /// sequence's own position, against its own `FastKVCache`. The buffers of a step, the
    /// logits and the caches (fixed capacities) are allocated before the first step.
    ///
    ///     var cache = try model.emptyCache(capacity: 4096)
    ///     _ = try model.prefill(prompt, cache: &cache)
    ///     let decoder = try FastTransformer.Decoder(model, caches: [cache])
    ///     try decoder.step(next)        // decoder.logits: next's logits; decoder.caches[0]: after it
    ///
    /// Every projection is one pass over the weights for all B sequences (`PackedLinear`'s
    /// panels, each used by every sequence while it is in cache): a sequence's numbers are the
    /// same, bit for bit, in a batch or alone, and for any thread count. Attention reads only
    /// the sequence's own cache; (sequence, head) pairs are split between the threads.
    ///
    /// Reading `logits` or `caches` copies nothing; keeping one of them across the next step
    /// makes that step copy it first (copy-on-write), so the value kept stays what it was — as
    /// does a cache handed in and still held by the caller. A decoder is used by one thread at
    /// a time (it is not `Sendable`).
    public final class Decoder {
        /// The model decoded.
        public let model: FastTransformer
        /// B, the sequences advanced by each step.
        public let batch: Int
        /// The caches after the tokens so far, one per sequence.
        public private(set) var caches: [FastKVCache]
        /// The logits of the last step, B×vocab (row b for sequence b); zero before the first step.
        public private(set) var logits: [Float]
        private let workspace: DecodingWorkspace

        /// A decoder for `model` continuing the sequences of `caches` (B ≥ 1 of them, each of any
        /// capacity and position). Throws `.argument` for no caches, `.cache` for a cache of
        /// another model.
        public init(_ model: FastTransformer, caches: [FastKVCache]) throws(TransformerError) {
            guard !caches.isEmpty else {
                throw .argument(name: "caches", expected: "one cache per sequence, at least one (batch B ≥ 1)", got: "none")
            }
            for (b, cache) in caches.enumerated() { try model.validate(cache, field: "caches[\(b)]") }
            self.model = model
            batch = caches.count
            self.caches = caches
            logits = [Float](repeating: 0, count: caches.count * model.config.vocabSize)
            let widest = caches.reduce(0) { Swift.max($0, $1.capacity) }
            workspace = DecodingWorkspace(model, rows: caches.count, scoreItems: caches.count * model.config.heads,
                                          scoreStride: (widest + 15) / 16 * 16)
        }

        /// A decoder for B new sequences, each with an empty cache of room for `capacity` tokens.
        /// Throws `.argument` for B < 1 or a capacity below 1.
        public convenience init(_ model: FastTransformer, capacity: Int, batch: Int = 1) throws(TransformerError) {
            guard batch >= 1 else {
                throw .argument(name: "batch", expected: "at least one sequence (B ≥ 1)", got: "\(batch)")
            }
            try FastTransformer.check(capacity: capacity)
            try self.init(model, caches: (0..<batch).map { _ in FastKVCache(layout: model.layout, capacity: capacity) })
        }

        /// Reads tokens[b] for sequence b: `logits` become their logits and every cache grows by
        /// one token. Throws `.argument` unless there is one token per sequence, `.token` for an
        /// id outside the vocabulary (its position the sequence's index), `.capacity` for a
        /// full cache, and then changes nothing.
        public func step(_ tokens: [Int]) throws(TransformerError) {
            guard tokens.count == batch else {
                throw .argument(name: "tokens", expected: "one token per sequence (B = \(batch))", got: "\(tokens.count) tokens")
            }
            for b in 0..<batch {
                try model.check(token: tokens[b], at: b)
                try caches[b].checkRoom(for: 1)
            }
            advance { tokens[$0] }
        }

        /// Reads `token` for the one sequence of a decoder with B = 1. Throws `.argument` for
        /// B > 1, otherwise as `step(_:)` with one token.
        public func step(_ token: Int) throws(TransformerError) {
            guard batch == 1 else {
                throw .argument(name: "tokens", expected: "one token per sequence (B = \(batch))", got: "1 token")
            }
            try model.check(token: token, at: 0)
            try caches[0].checkRoom(for: 1)
            advance { _ in token }
        }

        private func advance(_ token: (Int) -> Int) {
            for b in 0..<batch {
                workspace.sequences[b] = SequenceCache(base: caches[b].writableStorage(), capacity: caches[b].capacity,
                                                       position: caches[b].position)
            }
            logits.withUnsafeMutableBufferPointer { logits in
                model.decode(rows: batch, token: token, workspace: workspace, logits: logits.baseAddress!)
            }
            for b in 0..<batch { caches[b].position += 1 }
        }
    }
}
