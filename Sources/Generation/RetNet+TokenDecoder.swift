import Layers
import Matrices
import MultiScaleRetention
import RetNetModel

/// A RetNet as a ``TokenDecoder``: a sequence read in the `prefill` form (`RetNet.prefill`), each
/// token after it read recurrently from the state (`RetNet.step`),
///
///     S_n = γ S_{n−1} + k_nᵀ v_n   per head,
///
/// so the cache is the `RetNetState` (one d_k×d_v matrix per head and layer), whatever the length
/// of the text. Made by `RetNet.decoding(prefill:)`.
public struct RetNetDecoding<E: RealScalar>: TokenDecoder, Sendable {
    /// The model decoded.
    public let model: RetNet<E>
    /// The form every head reads a sequence in (parallel, recurrent or chunkwise).
    public let prefill: RetentionForm

    /// `model` reading sequences in `prefill` form: chunkwise with `recurrent_chunk_size` when nil.
    public init(_ model: RetNet<E>, prefill: RetentionForm? = nil) {
        self.model = model
        self.prefill = prefill ?? .chunkwise(chunkSize: model.config.recurrentChunkSize)
    }

    public var vocabularySize: Int { model.vocabularySize }

    /// The last row of `RetNet.prefill(tokens, form: prefill)` and the state after the tokens.
    public func read(_ tokens: [Int], capacity: Int) throws(RetNetError) -> (logits: [E], cache: RetNetState<E>) {
        let (logits, state) = try model.prefill(tokens, form: prefill)
        return (logits.row(logits.rows - 1).storage, state)
    }

    /// `RetNet.step(token, state:)`: the token's logits; the state moves on by one token.
    public func step(_ token: Int, cache state: inout RetNetState<E>) throws(RetNetError) -> [E] {
        let stepped = try model.step(token, state: state)
        state = stepped.state
        return stepped.logits.storage
    }
}

extension RetNet {
    /// This model as a ``TokenDecoder`` reading sequences in `prefill` form (chunkwise with
    /// `recurrent_chunk_size` when nil).
    public func decoding(prefill form: RetentionForm? = nil) -> RetNetDecoding<E> {
        RetNetDecoding(self, prefill: form)
    }

    /// Reads `prompt` in `prefill` form (chunkwise with `recurrent_chunk_size` by default), then
    /// chooses `count` new tokens with `sampler`, decoding each one after the first recurrently
    /// from the state; with a `context`, nanoGPT's sliding window of that many tokens. The one
    /// loop, ``TokenDecoder/generate(prompt:count:sampler:context:)``, on
    /// `decoding(prefill:)`; its cache is the state after the tokens read.
    public func generate(prompt: [Int], count: Int, sampler: Sampler = .greedy, prefill form: RetentionForm? = nil,
                         context: Int? = nil) throws(RetNetError) -> Generated<E, RetNetState<E>>
    {
        try decoding(prefill: form).generate(prompt: prompt, count: count, sampler: sampler, context: context)
    }
}
