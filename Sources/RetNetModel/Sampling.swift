import Layers
import Matrices
import MultiScaleRetention

extension Sampler {
    /// Throws `.argument` unless a temperature is finite and > 0.
    func validate() throws(RetNetError) {
        if case .temperature(let t, _) = self, !(t > 0 && t.isFinite) {
            throw .argument(name: "temperature", expected: "a finite T > 0 (use .greedy for T → 0)", got: "\(t)")
        }
    }
}

/// A generated continuation.
public struct Generation<E: RealScalar>: Sendable {
    /// The new tokens, in order.
    public let tokens: [Int]
    /// The logits each new token was chosen from (1×vocab each): the prompt's last row, then
    /// each decoded token's.
    public let logits: [Matrix<E>]
    /// The state after the last new token was read (it has not been read when `count` tokens were
    /// asked for: the state covers the prompt and the first count − 1 new tokens).
    public let state: RetNetState<E>
}

extension RetNet {
    /// Reads `prompt` in `prefill` form (chunkwise with `recurrent_chunk_size` by default), then
    /// chooses `count` new tokens, decoding each one after the first recurrently from the state.
    public func generate(prompt: [Int], count: Int, sampler: Sampler = .greedy,
                         prefill form: RetentionForm? = nil) throws(RetNetError) -> Generation<E>
    {
        guard !prompt.isEmpty else {
            throw .argument(name: "prompt", expected: "at least one token", got: "an empty prompt")
        }
        guard count >= 0 else { throw .argument(name: "count", expected: "a count ≥ 0", got: "\(count)") }
        try sampler.validate()
        var generator = SplitMix64(seed: { if case .temperature(_, let seed) = sampler { seed } else { 0 } }())
        func choose(_ logits: Matrix<E>, row: Int) -> Int {
            switch sampler {
            case .greedy: Sampler.argmax(logits, row: row)
            case .temperature(let t, _): Sampler.draw(logits, row: row, temperature: t, using: &generator)
            }
        }
        var (logits, state) = try prefill(prompt, form: form ?? .chunkwise(chunkSize: config.recurrentChunkSize))
        var last = logits.row(logits.rows - 1)
        var tokens: [Int] = [], rows: [Matrix<E>] = []
        for i in 0..<count {
            if i > 0 { (last, state) = try step(tokens[i - 1], state: state) }
            rows.append(last)
            tokens.append(choose(last, row: 0))
        }
        return Generation(tokens: tokens, logits: rows, state: state)
    }
}
