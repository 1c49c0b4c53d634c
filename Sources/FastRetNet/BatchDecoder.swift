import FastLayers
import FastRetention
import Kernels
import RetNetModel

extension FastRetNet {
    /// Decoding B sequences with no allocation: each step reads one token per sequence, at that
    /// sequence's own position, from its own state. The states, the logits and every buffer of a
    /// step are allocated when the decoder is made.
    ///
    ///     let decoder = try FastRetNet.BatchDecoder(model, states: [a, b, c])
    ///     try decoder.step([1, 2, 3])   // decoder.logits: B×vocab; decoder.states: after the step
    ///
    /// Every projection is one pass over the weights for all B sequences (`PackedLinear`'s
    /// panels, each used by every sequence while it is in cache), so the weights are read once
    /// per step, not once per sequence; the (sequence, head) pairs' recurrent steps are split
    /// between the threads. A sequence's numbers are the same, bit for bit, as a `Decoder`'s for
    /// it alone, whatever the batch and the thread count.
    ///
    /// A decoder is used by one thread at a time (it is not `Sendable`).
    public final class BatchDecoder {
        /// The model decoded.
        public let model: FastRetNet
        /// B, the sequences advanced by each step.
        public let batch: Int
        /// The logits of the last step, B×vocab (row b for sequence b); zero before the first step.
        public private(set) var logits: [Float]
        /// Every sequence's head states, sequence after sequence, each as its layers' heads'
        /// d_k×d_v states one after another.
        private let memory: UnsafeMutablePointer<Float>
        private let stride: Int, layerOffsets: [Int]
        private var positions: [Int]
        private let workspace: Workspace

        /// A decoder for `model` continuing the sequences of `states` (B ≥ 1 of them, each at
        /// its own position). Throws `.argument` for no states, `.state` for a state of another
        /// model.
        public init(_ model: FastRetNet, states: [FastRetNetState]) throws(RetNetError) {
            guard !states.isEmpty else {
                throw .argument(name: "states", expected: "one state per sequence, at least one (batch B ≥ 1)", got: "none")
            }
            for (b, state) in states.enumerated() {
                do { try model.validate(state) } catch {
                    guard case .state(let field, let expected, let got) = error else { throw error }
                    throw .state(field: "states[\(b)].\(field.dropFirst("state.".count))", expected: expected, got: got)
                }
            }
            self.model = model
            batch = states.count
            var offsets: [Int] = [], size = 0
            for shape in model.stateShapes {
                offsets.append(size)
                size += shape.heads * shape.keyDimension * shape.valueDimension
            }
            (stride, layerOffsets) = (size, offsets)
            memory = .allocate(capacity: Swift.max(1, batch * size))
            for (b, state) in states.enumerated() {
                for (l, layer) in state.layers.enumerated() {
                    var target = memory + b * size + offsets[l]
                    for head in layer {
                        target.initialize(from: head.s, count: head.s.count)
                        target += head.s.count
                    }
                }
            }
            positions = states.map(\.position)
            logits = [Float](repeating: 0, count: batch * model.config.vocabSize)
            workspace = Workspace(model, rows: batch)
        }

        /// A decoder for B new sequences, each from the empty state. Throws `.argument` for B < 1.
        public convenience init(_ model: FastRetNet, batch: Int) throws(RetNetError) {
            guard batch >= 1 else {
                throw .argument(name: "batch", expected: "at least one sequence (B ≥ 1)", got: "\(batch)")
            }
            try self.init(model, states: Array(repeating: model.emptyState(), count: batch))
        }

        deinit {
            memory.deallocate()
        }

        /// The states after the tokens so far, one per sequence (copied out).
        public var states: [FastRetNetState] {
            (0..<batch).map { b in
                FastRetNetState(layers: model.stateShapes.enumerated().map { l, shape in
                    let size = shape.keyDimension * shape.valueDimension
                    return (0..<shape.heads).map { h in
                        var head = RetentionKernelState(zeroKeyDimension: shape.keyDimension, valueDimension: shape.valueDimension)
                        let source = memory + b * stride + layerOffsets[l] + h * size
                        head.s = Array(UnsafeBufferPointer(start: source, count: size))
                        head.position = positions[b]
                        return head
                    }
                })
            }
        }

        /// Reads tokens[b] for sequence b, recurrently: `logits` become their logits and every
        /// state moves on by one token. Throws `.argument` unless there is one token per
        /// sequence, `.token` for an id outside the vocabulary (its position the sequence's
        /// index), and then changes nothing.
        public func step(_ tokens: [Int]) throws(RetNetError) {
            guard tokens.count == batch else {
                throw .argument(name: "tokens", expected: "one token per sequence (B = \(batch))", got: "\(tokens.count) tokens")
            }
            for b in 0..<batch { try model.check(token: tokens[b], at: b) }
            let (e, n, x) = (model.config.embedDim, batch, workspace.x)
            for b in 0..<n {
                let id = tokens[b]
                for c in 0..<e { x[b * e + c] = model.embedScale * model.embedTokens[id * e + c] }
                workspace.rotation.fill(model.rotation, positions: positions[b]..<(positions[b] + 1), startingAt: b)
            }
            for l in model.blocks.indices {
                model.blocks[l].decode(workspace, rows: n, states: BatchStates(base: memory + layerOffsets[l], stride: stride),
                                       threads: model.threads)
            }
            Bands.run(n, threads: model.threads, BlockNormRows(model.layerNorm, x, into: workspace.normed, width: e))
            logits.withUnsafeMutableBufferPointer { logits in
                model.head.apply(workspace.normed, rows: n, into: logits.baseAddress!, threads: model.threads, streaming: true)
            }
            for b in 0..<n { positions[b] += 1 }
        }
    }
}
