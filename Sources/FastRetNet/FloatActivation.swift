import Kernels
import Layers
import Matrices

/// `Activation`'s two functions on Float rows, 16 values at a time, with `VectorMath`'s exp and
/// erf (within a few ulp of the libm functions the reference uses):
///
///     swish(x) = x / (1 + e^{−x})        gelu(x) = x (1 + erf(x / √2)) / 2
package enum FloatActivation {
    package typealias Vector = SIMD16<Float>

    @inline(__always)
    package static func apply(_ activation: Activation, _ x: Vector) -> Vector {
        switch activation {
        case .swish: x / (1 + VectorMath.exp(-x))
        case .gelu: x * (1 + VectorMath.erf(x * (1 / Float.sqrt(2)))) / 2
        }
    }

    /// out[c] = act(x[c]) · factor[c] (or act(x[c]) when `factor` is nil) for c < count. `out`
    /// may be `factor` itself: each block of 16 is read before it is written. The last, partial
    /// block goes through the same vector code, padded with zeros.
    package static func apply(_ activation: Activation, _ x: UnsafePointer<Float>, times factor: UnsafePointer<Float>?,
                      into out: UnsafeMutablePointer<Float>, count: Int) {
        let (source, target) = (UnsafeRawPointer(x), UnsafeMutableRawPointer(out))
        let scale = factor.map(UnsafeRawPointer.init)
        var c = 0
        while c &+ 16 <= count {
            var y = apply(activation, source.loadUnaligned(fromByteOffset: c &* 4, as: Vector.self))
            if let scale { y *= scale.loadUnaligned(fromByteOffset: c &* 4, as: Vector.self) }
            target.storeBytes(of: y, toByteOffset: c &* 4, as: Vector.self)
            c &+= 16
        }
        guard c < count else { return }
        var rest = Vector()
        for i in 0..<(count - c) { rest[i] = x[c + i] }
        let y = apply(activation, rest)
        for i in 0..<(count - c) { out[c + i] = factor.map { y[i] * $0[c + i] } ?? y[i] }
    }
}
