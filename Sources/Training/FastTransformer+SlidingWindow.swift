import FastTransformer
import Matrices
import RetNetModel
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
        var cache: FastKVCache?
        return try SlidingWindow.generate(prompt: prompt, count: count, context: context, sampler: sampler, read: { window throws(TransformerError) in
            var fresh = try emptyCache(capacity: context)
            let logits = try prefill(window, cache: &fresh)
            cache = fresh
            return logits.row(logits.rows - 1)
        }, step: { token throws(TransformerError) in
            // `read` ran first: there is a cache, with room while the text fits in the window.
            guard var current = cache else { throw .argument(name: "cache", expected: "a window read first", got: "none") }
            cache = nil  // unshared: the step writes into it in place
            let logits = try step(token, cache: &current)
            cache = current
            return Matrix(rows: 1, columns: vocab, entries: logits)
        })
    }
}
