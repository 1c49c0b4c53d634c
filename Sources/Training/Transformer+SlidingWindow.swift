import Matrices
import MultiScaleRetention
import RetNetModel
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
        guard !prompt.isEmpty else { throw .argument(name: "prompt", expected: "at least one token", got: "an empty prompt") }
        guard count >= 0 else { throw .argument(name: "count", expected: "a count ≥ 0", got: "\(count)") }
        guard context >= 1 else { throw .argument(name: "context", expected: "a window of at least 1 token", got: "\(context)") }
        var generator = SplitMix64(seed: 0)
        if case .temperature(let t, let seed) = sampler {
            guard t > 0 && t.isFinite else {
                throw .argument(name: "temperature", expected: "a finite T > 0 (use .greedy for T → 0)", got: "\(t)")
            }
            generator = SplitMix64(seed: seed)
        }
        var text = prompt
        let (prefilled, cache) = try prefill(Array(text.suffix(context)))
        var last = prefilled.row(prefilled.rows - 1)
        // The cache holds the text from position 0: usable while the text fits in the window.
        var cached: TransformerCache<E>? = text.count <= context ? cache : nil
        var tokens: [Int] = [], rows: [Matrix<E>] = []
        for i in 0..<count {
            if i > 0 {
                if let cache = cached, text.count <= context {
                    let stepped = try step(text[text.count - 1], cache: cache)
                    (last, cached) = (stepped.logits, stepped.cache)
                } else {
                    let window = try forward(Array(text.suffix(context)))
                    (last, cached) = (window.row(window.rows - 1), nil)
                }
            }
            let next = switch sampler {
            case .greedy: Sampler.argmax(last)
            case .temperature(let t, _): Sampler.draw(last, temperature: t, using: &generator)
            }
            rows.append(last)
            tokens.append(next)
            text.append(next)
        }
        return (tokens, rows)
    }
}
