import Layers
import Matrices
import MultiScaleRetention
import RetNetModel

extension FastRetNet {
    /// `RetNet.generate` on the kernels: reads `prompt` in `prefill` form (chunkwise with
    /// `recurrent_chunk_size` by default), then chooses `count` new tokens with `sampler`,
    /// decoding each one after the first with a `Decoder` (buffers allocated once, not once per
    /// token). Returns the tokens and the logits each was chosen from. The same seed gives the
    /// same draws as the reference.
    public func generate(prompt: [Int], count: Int, sampler: Sampler = .greedy, prefill form: RetentionForm? = nil)
        throws(RetNetError) -> (tokens: [Int], logits: [[Float]])
    {
        guard !prompt.isEmpty else {
            throw .argument(name: "prompt", expected: "at least one token", got: "an empty prompt")
        }
        guard count >= 0 else { throw .argument(name: "count", expected: "a count ≥ 0", got: "\(count)") }
        if case .temperature(let t, _) = sampler, !(t > 0 && t.isFinite) {
            throw .argument(name: "temperature", expected: "a finite T > 0 (use .greedy for T → 0)", got: "\(t)")
        }
        var generator = SplitMix64(seed: { if case .temperature(_, let seed) = sampler { seed } else { 0 } }())
        let vocab = config.vocabSize
        func choose(_ row: [Float]) -> Int {
            let logits = Matrix(rows: 1, columns: vocab, entries: row)
            return switch sampler {
            case .greedy: Sampler.argmax(logits)
            case .temperature(let t, _): Sampler.draw(logits, temperature: t, using: &generator)
            }
        }
        var (all, state) = try forward(prompt, form: form ?? .chunkwise(chunkSize: config.recurrentChunkSize))
        var last = Array(all.storage[((all.rows - 1) * vocab)...])
        all = Matrix(rows: 0, columns: vocab, entries: [])
        let decoder = try Decoder(self, from: state)
        var tokens: [Int] = [], rows: [[Float]] = []
        for i in 0..<count {
            if i > 0 {
                try decoder.step(tokens[i - 1])
                last = decoder.logits
            }
            rows.append(last)
            tokens.append(choose(last))
        }
        return (tokens, rows)
    }
}
