import Matrices

/// The per-head normalisation of multi-scale retention (paper Sec. 2.2: "GroupNorm_h"): each
/// head's d_v outputs in each row are normalised on their own, because heads with different γ
/// produce outputs of very different sizes.
///
///     paper (GroupNorm, h groups):   y = (x − μ) / √(σ² + ε) · w + b     μ, σ² over the head's d_v entries
///     torchscale (RMSNorm, no weight): y = x / √(mean(x²) + ε)
///
/// Both are invariant to a positive scale of the head's row when ε = 0: c x gives the same y for
/// every c > 0 (μ, σ and the root mean square all scale by c). That is why the paper's score
/// normalisations — QKᵀ/√d, D/√ΣD, R/max(|ΣR|, 1), each a positive factor per head and row —
/// change nothing after this norm *when ε = 0*. With ε > 0 they change the output by exactly the
/// factor 1/√(1 + ε/(c² m)) per row, m the row's σ² (or mean square): `epsilonFactor`.
///
/// A row of zeros (σ² = 0 or mean(x²) = 0) with ε = 0 divides 0 by 0 and gives NaN, as it does
/// in PyTorch; random or trained inputs never produce one.
public enum HeadNorm<E: RealScalar>: Sendable, Equatable {
    /// GroupNorm over h groups of d_v channels, with per-channel weight w and bias b (h·d_v each).
    case groupNorm(weight: [E], bias: [E], eps: E)
    /// RMSNorm over each head without a weight (torchscale's `RMSNorm(head_dim, elementwise_affine=False)`).
    case rms(eps: E)

    /// GroupNorm with w = 1 and b = 0 (PyTorch's initial values) for `width` = h·d_v channels.
    public static func groupNorm(width: Int, eps: E) -> HeadNorm {
        .groupNorm(weight: Array(repeating: 1, count: width), bias: Array(repeating: 0, count: width), eps: eps)
    }

    /// ε.
    public var eps: E {
        switch self {
        case .groupNorm(_, _, let eps), .rms(let eps): eps
        }
    }

    /// The same norm with another ε.
    public func with(eps: E) -> HeadNorm {
        switch self {
        case .groupNorm(let w, let b, _): .groupNorm(weight: w, bias: b, eps: eps)
        case .rms: .rms(eps: eps)
        }
    }

    /// The norm in another precision.
    public func converted<Other: RealScalar>(to _: Other.Type = Other.self) -> HeadNorm<Other> {
        switch self {
        case .groupNorm(let w, let b, let eps):
            .groupNorm(weight: w.map { Other($0) }, bias: b.map { Other($0) }, eps: Other(eps))
        case .rms(let eps): .rms(eps: Other(eps))
        }
    }

    /// The statistic the norm divides by, for one head's row: σ² (GroupNorm) or mean(x²) (RMSNorm).
    public func spread(_ row: ArraySlice<E>) -> E {
        let count = E(row.count)
        switch self {
        case .groupNorm:
            let mean = row.reduce(0, +) / count
            return row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / count
        case .rms:
            return row.reduce(0) { $0 + $1 * $1 } / count
        }
    }

    /// Normalises each row's `heads` consecutive groups of columns (x is n×(h·d_v)).
    public func apply(_ x: Matrix<E>, heads: Int) -> Matrix<E> {
        precondition(heads >= 1 && x.columns % heads == 0, "HeadNorm needs h dividing the width: \(x.shape), h = \(heads)")
        let dv = x.columns / heads
        var out = x.storage
        for n in 0..<x.rows {
            for h in 0..<heads {
                let start = n * x.columns + h * dv
                let row = x.storage[start..<(start + dv)]
                let scale = 1 / E.sqrt(spread(row) + eps)
                switch self {
                case .groupNorm(let weight, let bias, _):
                    let mean = row.reduce(0, +) / E(dv)
                    for c in 0..<dv {
                        out[start + c] = (x.storage[start + c] - mean) * scale * weight[h * dv + c] + bias[h * dv + c]
                    }
                case .rms:
                    for c in 0..<dv { out[start + c] = x.storage[start + c] * scale }
                }
            }
        }
        return Matrix(rows: x.rows, columns: x.columns, entries: out)
    }

    /// The factor by which ε > 0 shrinks a head's normalised row (before weight and bias) when
    /// the row was scaled by c > 0 first: √(c² m) / √(c² m + ε) = 1/√(1 + ε/(c² m)), with m the
    /// row's `spread` before scaling. It is 1 when ε = 0, whatever c: the invariance.
    public static func epsilonFactor(spread m: E, scale c: E, eps: E) -> E {
        1 / E.sqrt(1 + eps / (c * c * m))
    }
}
