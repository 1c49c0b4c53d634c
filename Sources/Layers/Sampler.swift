import Matrices

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
