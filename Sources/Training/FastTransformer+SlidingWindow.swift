import FastTransformer
import Layers
import Matrices
import Transformer

extension FastTransformer {
    /// `Transformer.generate(prompt:count:context:sampler:)` on the kernels: nanoGPT's sliding
    /// window of `context` tokens, the window read by the GEMM prefill into a KV cache of room
    /// for `context` tokens and each new token, while the text fits in the window, decoded
    /// against that cache. The same tokens as the reference model's, and the same logits up to
    /// Float rounding (the same seed gives the same draws). Throws as the reference does.
    public func generate(prompt: [Int], count: Int, context: Int, sampler: Sampler = .greedy) throws(TransformerError)
        -> (tokens: [Int], logits: [Matrix<Float>])
    {
        let vocab = config.vocabSize
        return try SlidingWindow.generate(prompt: prompt, count: count, context: context, sampler: sampler, read: { window throws(TransformerError) in
            var cache = try emptyCache(capacity: context)
            let logits = try prefill(window, cache: &cache)
            return (logits.row(logits.rows - 1), cache)
        }, step: { token, cache throws(TransformerError) in
            Matrix(rows: 1, columns: vocab, entries: try step(token, cache: &cache))
        })
    }
}
