import Layers
import Matrices
import Transformer

/// nanoGPT's generation loop for a model trained on windows of `context` tokens, written once
/// for the reference Transformer and for its kernels: each new token is predicted from the last
/// `context` tokens of the text so far only, so the model never reads a sequence longer than
/// those it was trained on. While the text fits in the window it is read once (`read`) and each
/// new token is decoded against the KV cache (`step`); past it, the window is read again for
/// every new token.
enum SlidingWindow {
    /// Chooses `count` tokens after `prompt`: the new tokens and the logits (1×vocab) each was
    /// chosen from. `read(window)` reads a window into a fresh cache and returns its last row's
    /// logits and that cache; `step(token, &cache)` reads one more token into the cache and
    /// returns its logits. The prompt's window is read first, whatever the count, so that a
    /// prompt the model refuses is an error even for no new tokens.
    ///
    /// Throws `.argument` for an empty prompt, a negative count, a context < 1 or a temperature
    /// that is not a finite T > 0, and what `read` and `step` throw.
    static func generate<E: RealScalar, Cache>(prompt: [Int], count: Int, context: Int, sampler: Sampler,
                                               read: ([Int]) throws(TransformerError) -> (logits: Matrix<E>, cache: Cache),
                                               step: (Int, inout Cache) throws(TransformerError) -> Matrix<E>)
        throws(TransformerError) -> (tokens: [Int], logits: [Matrix<E>])
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
        var text = prompt, tokens: [Int] = [], rows: [Matrix<E>] = []
        var (last, cache) = try read(Array(text.suffix(context)))
        for i in 0..<count {
            if i > 0 {
                // The cache holds the text from position 0 while the text fits in the window:
                // the first read took all of it, and each step since one more token.
                if text.count <= context {
                    last = try step(text[text.count - 1], &cache)
                } else {
                    (last, cache) = try read(Array(text.suffix(context)))
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
