import Layers
import Matrices

/// A generated continuation: the new tokens, the logits each was chosen from, and the
/// decoder's cache at the end.
public struct Generated<Scalar: RealScalar, Cache> {
    /// The new tokens, in order.
    public let tokens: [Int]
    /// The logits each new token was chosen from, count×vocab: row i is the row `tokens[i]` was
    /// drawn from (row 0 the prompt's last logits, row i the logits of the text before
    /// `tokens[i]`).
    public let logits: Matrix<Scalar>
    /// The cache after the last tokens read. The last new token is never read: without a window
    /// the cache holds the prompt and the first count − 1 new tokens; with one, the window last
    /// read and the tokens stepped after it.
    public let cache: Cache
}

extension Generated: Sendable where Cache: Sendable {}

extension TokenDecoder {
    /// Chooses `count` tokens after `prompt`, each from the logits of the text before it with
    /// `sampler` (greedy: argmax ℓ; temperature T: a draw from softmax(ℓ/T) with a SplitMix64
    /// seeded by the sampler's seed, so the same seed gives the same tokens).
    ///
    /// Without a `context` (nil), the prompt is read once and each new token after the first is
    /// read with one `step` against the cache: the model reads the whole text, x₁ … x_{n+i}.
    /// With a context c, nanoGPT's sliding window for a model trained on windows of c tokens:
    /// each new token is predicted from the last c tokens of the text so far only,
    ///
    ///     ℓ for token i = the last row of the model on x_{max(1, n+i−c+1)} … x_{n+i},
    ///
    /// so the model never reads a sequence longer than those it was trained on. While the text
    /// fits in the window (n + i ≤ c) that is the cache read so far, stepped by one token; past
    /// it, the last c tokens are read again, from position 0, for every new token.
    ///
    /// The prompt (its last c tokens with a window) is read first, whatever the count, so that a
    /// prompt the model refuses is an error even for no new tokens.
    ///
    /// Throws `.argument` for an empty prompt, a negative count, a context < 1 or a temperature
    /// that is not a finite T > 0; `.token` for a prompt token outside 0..<vocabularySize (its
    /// position in the prompt); and what the model throws.
    public func generate(prompt: [Int], count: Int, sampler: Sampler = .greedy, context: Int? = nil)
        throws(Failure) -> Generated<Scalar, Cache>
    {
        guard count >= 0 else { throw .argument(name: "count", expected: "a count ≥ 0", got: "\(count)") }
        var tokens: [Int] = [], rows: [Scalar] = []
        tokens.reserveCapacity(count)
        rows.reserveCapacity(count * vocabularySize)
        let cache = try stream(prompt: prompt, count: count, sampler: sampler, context: context) { token, logits in
            tokens.append(token)
            rows.append(contentsOf: logits)
        }
        return Generated(tokens: tokens, logits: Matrix(rows: count, columns: vocabularySize, entries: rows), cache: cache)
    }

    /// The loop of `generate(prompt:count:sampler:context:)`, token by token: `chosen` sees each
    /// new token as soon as it is chosen, with the logits it was chosen from, and nothing is kept
    /// between tokens but the text and the cache, so a caller that prints and forgets each token
    /// generates any count in the memory of the text alone. With `topK` = k the draw (or the
    /// argmax) is over the k largest logits only (nanoGPT's top_k; ties at the k-th value stay in).
    /// Returns the cache after the last tokens read. Throws as `generate`, and `.argument` for a
    /// `topK` below 1.
    public func stream(prompt: [Int], count: Int, sampler: Sampler = .greedy, context: Int? = nil, topK: Int? = nil,
                       chosen: (_ token: Int, _ logits: [Scalar]) -> Void) throws(Failure) -> Cache
    {
        guard !prompt.isEmpty else { throw .argument(name: "prompt", expected: "at least one token", got: "an empty prompt") }
        guard count >= 0 else { throw .argument(name: "count", expected: "a count ≥ 0", got: "\(count)") }
        if let context, context < 1 {
            throw .argument(name: "context", expected: "a window of at least 1 token", got: "\(context)")
        }
        if let topK, topK < 1 { throw .argument(name: "top-k", expected: "at least 1 token", got: "\(topK)") }
        var generator = SplitMix64(seed: 0)
        if case .temperature(let t, let seed) = sampler {
            guard t > 0 && t.isFinite else {
                throw .argument(name: "temperature", expected: "a finite T > 0 (use .greedy for T → 0)", got: "\(t)")
            }
            generator = SplitMix64(seed: seed)
        }
        let vocab = vocabularySize
        for (position, id) in prompt.enumerated() where id < 0 || id >= vocab {
            throw .token(position: position, id: id, vocabularySize: vocab)
        }
        let window = context ?? Int.max
        // The most tokens a cache holds: the window, or the prompt and every new token but the
        // last (which is never read).
        let (grown, overflow) = prompt.count.addingReportingOverflow(Swift.max(count - 1, 0))
        let capacity = Swift.min(window, overflow ? Int.max : grown)
        var text = prompt
        var (last, cache) = try read(Array(text.suffix(window)), capacity: capacity)
        for i in 0..<count {
            if i > 0 {
                // The cache holds the text from position 0 while the text fits in the window:
                // the first read took all of it, and each step since one more token.
                if text.count <= window {
                    last = try step(text[text.count - 1], cache: &cache)
                } else {
                    (last, cache) = try read(Array(text.suffix(window)), capacity: capacity)
                }
            }
            let logits = Matrix(rows: 1, columns: vocab, entries: topK.map { Self.keepingLargest($0, of: last) } ?? last)
            var next = switch sampler {
            case .greedy: Sampler.argmax(logits)
            case .temperature(let t, _): Sampler.draw(logits, temperature: t, using: &generator)
            }
            // A draw within rounding of 1 falls on the last entry, which top-k may have removed.
            if logits[0, next] == -Scalar.infinity { next = Sampler.argmax(logits) }
            chosen(next, last)
            text.append(next)
        }
        return cache
    }

    /// `logits` with every entry below the k-th largest set to −∞, so softmax gives it
    /// probability 0 and argmax never picks it (k ≥ the count keeps every entry).
    static func keepingLargest(_ k: Int, of logits: [Scalar]) -> [Scalar] {
        guard k < logits.count else { return logits }
        let threshold = logits.sorted(by: >)[k - 1]
        return logits.map { $0 < threshold ? -Scalar.infinity : $0 }
    }
}
