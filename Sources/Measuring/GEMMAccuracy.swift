import Kernels
/// How far a Float product may be from the exact one, and how far it is.
///
/// Each entry C_ij = Σ_p A_ip B_pj summed in Float, in any order and with or without fused
/// multiply–adds, satisfies the classical bound (Higham, *Accuracy and Stability of Numerical
/// Algorithms*, §3.5)
///
///     |Ĉ_ij − C_ij| ≤ γ_k (|A| |B|)_ij,    γ_k = k u / (1 − k u),   u = 2⁻²⁴,
///
/// because each term passes through at most k roundings on its way into the sum. The bound is
/// componentwise, scaled by (|A||B|)_ij rather than by |C_ij|, which cancellation can make tiny.
///
/// The reference is the same sum in Double: the inputs are Floats, so each product A_ip B_pj is
/// exact in Double (24 + 24 significant bits ≤ 53), and only its k − 1 additions round, at
/// u_Double = 2⁻⁵³: its own error, ≤ γ_k(2⁻⁵³)(|A||B|)_ij, is added to the allowance.
public struct GEMMAccuracy: Sendable {
    /// The exact-up-to-Double product A B (m×n, row-major).
    public let reference: [Double]
    /// (|A| |B|)_ij, the scale of the bound.
    public let magnitude: [Double]
    /// γ_k(Float) + γ_k(Double): the largest allowed |Ĉ − C| / (|A||B|), entry by entry.
    public let bound: Double

    /// The reference and the scale for A (m×k) times B (k×n); throws as the kernels do.
    public init(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) throws(KernelError) {
        try GEMM.checkArguments(a, b, m: m, n: n, k: k, threads: 1)
        var reference = [Double](repeating: 0, count: m * n)
        var magnitude = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for p in 0..<k {
                let x = Double(a[i * k + p])
                for j in 0..<n {
                    let y = Double(b[p * n + j])
                    reference[i * n + j] += x * y
                    magnitude[i * n + j] += Swift.abs(x * y)
                }
            }
        }
        self.reference = reference
        self.magnitude = magnitude
        bound = Self.gamma(k, unit: 0x1p-24) + Self.gamma(k, unit: 0x1p-53)
    }

    /// γ_k = k u / (1 − k u) (+∞ when k u ≥ 1: no bound holds).
    public static func gamma(_ k: Int, unit u: Double) -> Double {
        let ku = Double(k) * u
        return ku < 1 ? ku / (1 - ku) : .infinity
    }

    /// The worst entry of `product`: max over ij of |Ĉ_ij − C_ij| / (|A||B|)_ij (an entry whose
    /// scale is 0 must be exactly 0), and where it occurs. NaN or a wrong length gives +∞.
    public func error(of product: [Float]) -> (ratio: Double, index: Int) {
        guard product.count == reference.count else { return (.infinity, 0) }
        var worst = 0.0, at = 0
        for index in reference.indices {
            let difference = Swift.abs(Double(product[index]) - reference[index])
            let ratio = difference == 0 ? 0 : magnitude[index] == 0 || difference.isNaN
                ? .infinity : difference / magnitude[index]
            if ratio > worst { worst = ratio; at = index }
        }
        return (worst, at)
    }

    /// True when every entry of `product` is within the bound.
    public func holds(for product: [Float]) -> Bool {
        error(of: product).ratio <= bound
    }
}
