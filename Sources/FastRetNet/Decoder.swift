import Kernels
import RetNetModel

extension FastRetNet {
    /// Decoding token by token with no allocation: the model, the state, the logits of the last
    /// token and every intermediate buffer, each allocated once, when the decoder is made.
    ///
    ///     let (prompt, state) = try model.forward(tokens, form: .chunkwise(chunkSize: 64))
    ///     let decoder = try FastRetNet.Decoder(model, from: state)
    ///     try decoder.step(next)        // decoder.logits: next's logits; decoder.state: after it
    ///
    /// Each `step` writes the state and the logits in place: the same numbers, bit for bit, as
    /// `FastRetNet.step`, which allocates its buffers on every call. Reading `logits` or `state`
    /// copies nothing; keeping one of them across the next step makes that step copy it first
    /// (copy-on-write), so the value kept stays what it was.
    ///
    /// A decoder is used by one thread at a time (it is not `Sendable`); the model's threads
    /// split each step's work.
    public final class Decoder {
        /// The model decoded.
        public let model: FastRetNet
        /// The state after the tokens so far.
        public private(set) var state: FastRetNetState
        /// The logits (vocab floats) for the last token stepped; zero before the first step.
        public private(set) var logits: [Float]
        private let workspace: Workspace

        /// A decoder for `model`, from `state` (empty when nil). Throws `.state` for a state of
        /// another model.
        public init(_ model: FastRetNet, from state: FastRetNetState? = nil) throws(RetNetError) {
            let start = state ?? model.emptyState()
            try model.validate(start)
            self.model = model
            self.state = start.unshared()
            logits = [Float](repeating: 0, count: model.config.vocabSize)
            workspace = Workspace(model, rows: 1)
        }

        /// Reads `token` at position `state.position`, recurrently: `logits` become its logits
        /// and `state` moves on by one token. Throws `.token` for an id outside the vocabulary,
        /// and then changes nothing.
        public func step(_ token: Int) throws(RetNetError) {
            try model.check(token: token, at: 0)
            logits.withUnsafeMutableBufferPointer { logits in
                model.run(rows: 1, token: { _ in token }, form: .recurrent, state: &state, workspace: workspace,
                          logits: logits.baseAddress!)
            }
        }
    }
}
