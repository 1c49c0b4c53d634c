import Matrices

/// The element-wise non-linearities of a RetNet, named as torchscale's `activation_fn` names them.
///
///     swish(x) = x · σ(x) = x / (1 + e^{−x})              (also called SiLU; the MSR gate)
///     gelu(x)  = x · Φ(x) = ½ x (1 + erf(x / √2))         (the exact, erf form — PyTorch's default)
///
/// Both are computed in the model's own precision with swift-numerics' `exp` and `erf`. For very
/// negative x, e^{−x} overflows to +∞ and swish returns −0, its limit; gelu's erf saturates at −1.
public enum Activation: String, Codable, CaseIterable, Sendable {
    case gelu
    case swish

    /// The activation of one number.
    public func callAsFunction<E: RealScalar>(_ x: E) -> E {
        switch self {
        case .swish:
            return x / (1 + E.exp(-x))
        case .gelu:
            return x * (1 + E.erf(x / E.sqrt(2))) / 2
        }
    }

    /// The activation of every entry.
    public func callAsFunction<E: RealScalar>(_ x: Matrix<E>) -> Matrix<E> {
        x.map { self($0) }
    }

    /// The names torchscale accepts, for error messages: `"gelu" or "swish"`.
    public static var accepted: String {
        allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
    }
}
