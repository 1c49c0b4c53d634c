import Layers
import Matrices
import Transformer

extension Transformer {
    /// Chooses `count` tokens after `prompt` as nanoGPT's `generate` does for a model trained on
    /// windows of `context` tokens: each new token is predicted from the last `context` tokens of
    /// the text so far only (a sliding window), so the model never reads a sequence longer than
    /// those it was trained on. While the text fits in the window the prompt is read at once and
    /// each new token is decoded against the KV cache (the same logits as reading the window
    /// again, up to rounding); past it, the window is read again for every new token. Returns
    /// the new tokens and the logits (1×vocab) each was chosen from.
    ///
    /// Throws `.argument` for an empty prompt, a negative count, a context < 1 or a temperature
    /// that is not a finite T > 0, and what the model throws for a token outside the vocabulary.
    public func generate(prompt: [Int], count: Int, context: Int, sampler: Sampler = .greedy) throws(TransformerError)
        -> (tokens: [Int], logits: [Matrix<E>])
    {
        try SlidingWindow.generate(prompt: prompt, count: count, context: context, sampler: sampler, read: { window throws(TransformerError) in
            let (logits, cache) = try prefill(window)
            return (logits.row(logits.rows - 1), cache)
        }, step: { token, cache throws(TransformerError) in
            let stepped = try step(token, cache: cache)
            cache = stepped.cache
            return stepped.logits
        })
    }
}
