import Matrices
import MultiScaleRetention

/// How the next token is chosen from a row of logits ℓ (1×vocab).
///
///     greedy:          argmax_i ℓ_i (the lowest index among equal maxima)
///     temperature T:   i with probability p_i = e^{(ℓ_i − max ℓ)/T} / Σ_j e^{(ℓ_j − max ℓ)/T}
///
/// Temperature sampling draws u ∈ [0, 1) from a SplitMix64 seeded with `seed` and returns the
/// first i whose cumulative probability exceeds u: the same seed gives the same tokens on
/// every machine. The probabilities are computed in Double whatever the model's precision.
public enum Sampler: Sendable, Equatable {
    case greedy
    case temperature(Double, seed: UInt64)

    func validate() throws(RetNetError) {
        if case .temperature(let t, _) = self, !(t > 0 && t.isFinite) {
            throw .argument(name: "temperature", expected: "a finite T > 0 (use .greedy for T → 0)", got: "\(t)")
        }
    }

    /// argmax of a row (its first maximum).
    public static func argmax<E: RealScalar>(_ logits: Matrix<E>, row: Int = 0) -> Int {
        var best = 0
        for i in 1..<Swift.max(logits.columns, 1) where logits[row, i] > logits[row, best] { best = i }
        return best
    }

    /// softmax(ℓ/T) of a row, in Double.
    public static func probabilities<E: RealScalar>(_ logits: Matrix<E>, row: Int = 0, temperature: Double) -> [Double] {
        let values = (0..<logits.columns).map { Double(logits[row, $0]) }
        let top = values.max() ?? 0
        let weights = values.map { Double.exp(($0 - top) / temperature) }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }

    /// Draws from softmax(ℓ/T) with `generator`.
    public static func draw<E: RealScalar>(_ logits: Matrix<E>, row: Int = 0, temperature: Double,
                                           using generator: inout SplitMix64) -> Int {
        let p = probabilities(logits, row: row, temperature: temperature)
        let u = generator.nextUnit()
        var cumulative = 0.0
        for (i, pi) in p.enumerated() {
            cumulative += pi
            if u < cumulative { return i }
        }
        return p.count - 1  // u within rounding of 1
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
