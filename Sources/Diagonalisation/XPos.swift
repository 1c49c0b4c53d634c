import Matrices

/// The xPos split of the decay: γ^{n−m} = γ^n · γ^{−m}, which lets the decay ride along with
/// the queries (×γ^n) and keys (×γ^{−m}) like the rotation does.
///
/// Exact in real numbers, dangerous in floating point: γ^{−m} grows without bound and
/// overflows to +∞ at a modest m (for γ = 1 − 2⁻⁵, m = 2,795 in Float and 22,357 in Double),
/// and then ∞ · 0 = NaN. Retention computes γ^{n−m} directly instead.
public enum XPos {
    /// γ^n · γ^{−m}, evaluated the split way in the scalar type `E`.
    public static func splitDecay<E: RealScalar>(_ gamma: E, n: Int, m: Int) -> E {
        E.pow(gamma, n) * E.pow(gamma, -m)
    }

    /// γ^{n−m}, evaluated directly.
    public static func directDecay<E: RealScalar>(_ gamma: E, n: Int, m: Int) -> E {
        E.pow(gamma, n - m)
    }

    /// The first m ≥ 1 at which γ^{−m} (computed by `pow` in `E`) is no longer finite.
    /// Searches by doubling then bisection, so it is fast even for γ close to 1.
    public static func firstOverflow<E: RealScalar>(_ gamma: E) -> Int? {
        guard gamma > 0 && gamma < 1 else { return nil }
        var high = 1
        while E.pow(gamma, -high).isFinite {
            guard high < Int.max / 4 else { return nil }
            high *= 2
        }
        var low = high / 2  // finite at low (or low == 0)
        while high - low > 1 {
            let mid = (low + high) / 2
            if E.pow(gamma, -mid).isFinite { low = mid } else { high = mid }
        }
        return high
    }

    /// The prediction: γ^{−m} overflows once m·ln(1/γ) exceeds ln(largest finite E),
    /// i.e. at m = ⌊ln(max) / ln(1/γ)⌋ + 1 (within ±1 of what `pow` does, from rounding).
    /// `nil` outside 0 < γ < 1, where γ^{−m} never overflows (or γ is no decay at all).
    public static func predictedOverflow<E: RealScalar>(_ gamma: E) -> Int? {
        guard gamma > 0 && gamma < 1 else { return nil }
        let limit = Double.log(Double(E.greatestFiniteMagnitude))
        let m = (limit / -Double.log(Double(gamma))).rounded(.down)
        guard m < Double(Int.max / 2) else { return nil }
        return Int(m) + 1
    }
}
