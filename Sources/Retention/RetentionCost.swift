import Matrices

/// What one retention form costs, counted from this module's code rather than timed: the
/// number of multiply–adds and the peak number of scalars held, as functions of the length n,
/// the key and value widths d_k and d_v, and the chunk size B.
///
/// Counting rules (so the three forms are counted alike):
/// - A *multiply–add* is one scalar multiplication together with the addition that
///   accumulates it (the matrix product's `c += a·b`). An entry-wise product (⊙ D, ⊙ ξ, γ^b R)
///   or an entry-wise sum of two matrices also counts one per entry. Index arithmetic, copies,
///   transposes and the n calls to `pow` for the decay powers are not counted.
/// - The matrix product skips zero entries of its left factor, so the masked upper triangle of
///   Q Kᵀ ⊙ D costs nothing when multiplied by V: counted as n(n+1)/2 rows·columns, not n².
///   (Any further zeros, e.g. powers of a tiny γ that underflow, are data, not structure, and
///   are not subtracted.)
/// - *Peak scalars* is the working memory: every intermediate matrix or table the code creates,
///   taken as alive at once (a debug build keeps locals to the end of their scope; an optimised
///   build may free some earlier, so these are upper bounds). The inputs Q, K, V and the n×d_v
///   output are the same for every form and are not counted.
public struct RetentionCost: Sendable, Equatable, CustomStringConvertible {
    /// Multiply–adds, counted as above.
    public let multiplyAdds: Int
    /// Scalars of working memory held at the peak, counted as above.
    public let peakScalars: Int

    public init(multiplyAdds: Int, peakScalars: Int) {
        self.multiplyAdds = multiplyAdds
        self.peakScalars = peakScalars
    }

    public var description: String { "\(multiplyAdds) multiply–adds, \(peakScalars) scalars at peak" }

    /// `ParallelRetention.outputs`: (Q Kᵀ ⊙ D) V.
    ///
    ///     multiply–adds = n² d_k          (Q Kᵀ)
    ///                   + n²              (⊙ D)
    ///                   + n(n+1)/2 · d_v  ((·) V over the lower triangle)
    ///     peak scalars  = n d_k           (Kᵀ)
    ///                   + n               (the powers γ⁰ … γ^{n−1} that fill D)
    ///                   + 3 n²            (Q Kᵀ, D, Q Kᵀ ⊙ D)
    ///
    /// O(n² d) time, O(n²) memory: the n×n scores are the price of doing every token at once.
    public static func parallel(length n: Int, keyDimension dk: Int, valueDimension dv: Int)
        throws(RetentionError) -> RetentionCost
    {
        try checkSizes(n, dk, dv)
        let (n, dk, dv) = (Count(n), Count(dk), Count(dv))
        return try RetentionCost(multiplyAdds: n * n * dk + n * n + n * (n + 1) / 2 * dv,
                                 peakScalars: n * dk + n + 3 * n * n)
    }

    /// `RecurrentRetention.outputs`: per token and per entry (i, j) of S, the step does
    /// S_ij ← γ S_ij + K_ni V_nj (two) and o_nj += Q_ni S_ij (one).
    ///
    ///     multiply–adds = 3 n d_k d_v
    ///     peak scalars  = 2 d_k d_v       (S, and the copy updated in place before it replaces S)
    ///
    /// O(n d_k d_v) time, and memory independent of n.
    public static func recurrent(length n: Int, keyDimension dk: Int, valueDimension dv: Int)
        throws(RetentionError) -> RetentionCost
    {
        try checkSizes(n, dk, dv)
        let (n, dk, dv) = (Count(n), Count(dk), Count(dv))
        return try RetentionCost(multiplyAdds: 3 * n * dk * dv, peakScalars: 2 * dk * dv)
    }

    /// `ChunkwiseRetention.outputs` with chunk size B. The n rows make ⌊n/B⌋ chunks of length
    /// B and, when B does not divide n, one more of length n mod B. A chunk of length b costs
    ///
    ///       b² d_k                 (Q_[i] K_[i]ᵀ)
    ///     + b²                     (⊙ D_b)
    ///     + b(b+1)/2 · d_v         ((·) V_[i] over the lower triangle)
    ///     + b d_k d_v              (Q_[i] R_{i−1})
    ///     + b d_v + b d_v          (⊙ ξ, then inner + cross)
    ///     + b d_v + b d_k d_v      (V_[i] ⊙ ζ, then K_[i]ᵀ (·))
    ///     + d_k d_v + d_k d_v      (γ^b R_{i−1}, then the sum)
    ///
    /// multiply–adds. With B′ = min(B, n), the peak working memory is that of a full chunk:
    ///
    ///       3 B′²                  (D_B, Q_[i] K_[i]ᵀ, its product with D_B)
    ///     + 4 B′ + 1               (ξ, ζ, and the powers γ⁰ … γ^{B′} and γ⁰ … γ^{B′−1}
    ///                               that fill them and D_B)
    ///     + 3 B′ d_k               (Q_[i], K_[i], K_[i]ᵀ)
    ///     + 6 B′ d_v               (V_[i], inner, Q_[i] R, cross, their sum, V_[i] ⊙ ζ)
    ///     + 4 d_k d_v              (R_{i−1}, K_[i]ᵀ (V_[i] ⊙ ζ), γ^b R_{i−1}, R_i)
    ///
    /// (a shorter last chunk replaces the plan for B, so never needs more). O(n B d + n d_k d_v)
    /// time and O(B² + B d + d_k d_v) memory: B = 1 is the recurrent form with overheads, B ≥ n
    /// is the parallel form plus one state update.
    public static func chunkwise(length n: Int, keyDimension dk: Int, valueDimension dv: Int, chunkSize: Int)
        throws(RetentionError) -> RetentionCost
    {
        guard chunkSize >= 1 else { throw .chunkSize(chunkSize) }
        try checkSizes(n, dk, dv)
        let full = n / chunkSize, rest = n % chunkSize
        let (dk, dv) = (Count(dk), Count(dv))
        func chunk(_ b: Count) -> Count {
            b * b * dk + b * b + b * (b + 1) / 2 * dv + b * dk * dv + 2 * b * dv + b * dv + b * dk * dv
                + 2 * dk * dv
        }
        // A chunk of length B is only costed when one exists: B may be far larger than n.
        let work = (full > 0 ? Count(full) * chunk(Count(chunkSize)) : 0) + (rest > 0 ? chunk(Count(rest)) : 0)
        let b = Count(Swift.min(chunkSize, n))
        let memory = 3 * b * b + 4 * b + 1 + 3 * b * dk + 6 * b * dv + 4 * dk * dv
        return try RetentionCost(multiplyAdds: work, peakScalars: memory)
    }

    private init(multiplyAdds: Count, peakScalars: Count) throws(RetentionError) {
        guard !multiplyAdds.overflowed && !peakScalars.overflowed else {
            throw .shape(ShapeError(argument: "length n", expected: "sizes whose cost fits in an Int",
                                    got: "a count beyond \(Int.max)"))
        }
        self.init(multiplyAdds: multiplyAdds.value, peakScalars: peakScalars.value)
    }

    private static func checkSizes(_ n: Int, _ dk: Int, _ dv: Int) throws(RetentionError) {
        for (name, value) in [("length n", n), ("key dimension d_k", dk), ("value dimension d_v", dv)] where value < 0 {
            throw .shape(ShapeError(argument: name, expected: "a size ≥ 0", got: "\(value)"))
        }
    }
}
