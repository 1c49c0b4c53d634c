import FastRetNet
import Layers
import Matrices
import MultiScaleRetention
import RetNetModel

/// A `FastRetNet` as a ``TokenDecoder``: `RetNetDecoding` on the kernels. A sequence is read by
/// `FastRetNet.forward` in the `prefill` form; the cache is a `FastRetNet.Decoder` started from
/// the state after it, which steps each token recurrently with its buffers allocated once, not
/// once per token. The same seed gives the same draws as the reference. Made by
/// `FastRetNet.decoding(prefill:)`.
public struct FastRetNetDecoding: TokenDecoder, Sendable {
    /// The model decoded.
    public let model: FastRetNet
    /// The form every head reads a sequence in (parallel, recurrent or chunkwise).
    public let prefill: RetentionForm

    /// `model` reading sequences in `prefill` form: chunkwise with `recurrent_chunk_size` when nil.
    public init(_ model: FastRetNet, prefill: RetentionForm? = nil) {
        self.model = model
        self.prefill = prefill ?? .chunkwise(chunkSize: model.config.recurrentChunkSize)
    }

    public var vocabularySize: Int { model.vocabularySize }

    /// The last row of `FastRetNet.forward(tokens, form: prefill)`, and a decoder from the state
    /// after the tokens.
    public func read(_ tokens: [Int], capacity: Int) throws(RetNetError) -> (logits: [Float], cache: FastRetNet.Decoder) {
        let (all, state) = try model.forward(tokens, form: prefill)
        return (all.row(all.rows - 1).storage, try FastRetNet.Decoder(model, from: state))
    }

    /// `decoder.step(token)`: the token's logits; the decoder's state moves on by one token.
    public func step(_ token: Int, cache decoder: inout FastRetNet.Decoder) throws(RetNetError) -> [Float] {
        try decoder.step(token)
        return decoder.logits
    }
}

extension FastRetNet {
    /// This model as a ``TokenDecoder`` reading sequences in `prefill` form (chunkwise with
    /// `recurrent_chunk_size` when nil).
    public func decoding(prefill form: RetentionForm? = nil) -> FastRetNetDecoding {
        FastRetNetDecoding(self, prefill: form)
    }

    /// `RetNet.generate` on the kernels: reads `prompt` in `prefill` form (chunkwise with
    /// `recurrent_chunk_size` by default), then chooses `count` new tokens with `sampler`,
    /// decoding each one after the first with a `Decoder`; with a `context`, nanoGPT's sliding
    /// window of that many tokens. The one loop,
    /// ``TokenDecoder/generate(prompt:count:sampler:context:)``, on `decoding(prefill:)`.
    public func generate(prompt: [Int], count: Int, sampler: Sampler = .greedy, prefill form: RetentionForm? = nil,
                         context: Int? = nil) throws(RetNetError) -> Generated<Float, FastRetNet.Decoder>
    {
        try decoding(prefill: form).generate(prompt: prompt, count: count, sampler: sampler, context: context)
    }
}
