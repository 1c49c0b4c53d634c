import Matrices

/// The decay γ of one retention head, checked once so that every form can trust it.
///
/// Retention weighs the contribution of token m to output n by γ^{n−m} (paper Eq. 5), with
/// γ ∈ (0, 1]: γ = 1 keeps everything (causal linear attention), γ → 0 keeps only the current
/// token. The state's effective memory is about 1/(1 − γ) tokens.
///
/// Powers are always taken as γ^p with p = n − m ≥ 0 computed directly. The xPos split
/// γ^n · γ^{−m} is equal in real numbers but γ^{−m} overflows to +∞ (γ = 1 − 2⁻⁵ overflows at
/// m ≈ 2,800 in Float) and then ∞ · 0 = NaN; γ^p with p ≥ 0 lies in [0, 1] and never overflows.
public struct Decay<E: RealScalar>: Sendable, Equatable {
    /// γ, guaranteed to satisfy 0 < γ ≤ 1.
    public let gamma: E

    /// Checks 0 < γ ≤ 1; NaN fails the comparison and is rejected as well.
    public init(_ gamma: E) throws(RetentionError) {
        guard gamma > 0 && gamma <= 1 else { throw .gamma(Double(gamma)) }
        self.gamma = gamma
    }

    /// γ^p for p ≥ 0, by one call to `pow` (within an ulp or so of the exact power).
    ///
    /// Repeated multiplication would be equally finite but accumulates p roundings; `pow`
    /// rounds once. A negative p is a programming error (it is exactly the overflowing γ^{−m}
    /// this type exists to avoid) and stops the program.
    public func power(_ p: Int) -> E {
        precondition(p >= 0, "Decay.power needs p ≥ 0 (γ^{−m} is what overflows), got \(p)")
        return E.pow(gamma, p)
    }

    /// γ⁰, γ¹, …, γ^{count−1}: each by `pow`, so the n² entries of D cost only n calls.
    func powers(_ count: Int) -> [E] {
        (0..<Swift.max(count, 0)).map { E.pow(gamma, $0) }
    }

    /// The decay matrix D ∈ ℝ^{n×n} of Eq. 5:
    ///
    ///     D_nm = γ^{n−m}  if n ≥ m,
    ///            0        otherwise.
    ///
    /// The zeros above the diagonal are the causal mask (a query never sees a later key); the
    /// powers below it are the decay. Entry (n, m) depends only on n − m, so D is Toeplitz and
    /// is filled from the n powers γ⁰ … γ^{n−1}. `n` must be ≥ 0.
    public func mask(_ n: Int) -> Matrix<E> {
        precondition(n >= 0, "Decay.mask needs a length n ≥ 0, got \(n)")
        let table = powers(n)
        return Matrix(rows: n, columns: n) { row, column in row >= column ? table[row - column] : 0 }
    }
}
