import Matrices
import MultiScaleRetention

/// `Activation`'s two functions on one Float, with the same elementary functions
/// (swift-numerics' `Float.exp`, `Float.erf`) and the same order of operations:
///
///     swish(x) = x / (1 + e^{−x})        gelu(x) = x (1 + erf(x / √2)) / 2
enum FloatActivation {
    @inline(__always)
    static func apply(_ activation: Activation, _ x: Float) -> Float {
        switch activation {
        case .swish: x / (1 + Float.exp(-x))
        case .gelu: x * (1 + Float.erf(x / Float.sqrt(2))) / 2
        }
    }
}
