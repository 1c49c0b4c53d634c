import Kernels
import Layers

/// `Activation`'s two functions and their derivatives on Float rows, 16 values at a time with
/// `VectorMath`'s exp and erf (within a few ulp of the libm functions the reference uses), the
/// derivatives in `Activation.derivative`'s closed forms:
///
///     swish(x) = x / (1 + e^{−x})        gelu(x) = x (1 + erf(x / √2)) / 2
///     swish′(x) = σ(x) (1 + x (1 − σ(x))),   σ(x) = 1 / (1 + e^{−x})
///     gelu′(x)  = ½ (1 + erf(x/√2)) + x e^{−x²/2} / √(2π)
///
/// The forward functions serve inference and training alike; the derivatives, the training's
/// backward passes.
package enum ActivationRows {
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


    @inline(__always)
    package static func derivative(_ activation: Activation, _ x: Vector) -> Vector {
        switch activation {
        case .swish:
            let sigma = 1 / (1 + VectorMath.exp(-x))
            return sigma * (1 + x * (1 - sigma))
        case .gelu:
            let phi = VectorMath.exp(-x * x / 2) * (1 / (2 * Float.pi).squareRoot())
            return (1 + VectorMath.erf(x * (1 / Float.sqrt(2)))) / 2 + x * phi
        }
    }

    /// The `count` ≤ 16 floats at p + c as a vector, zeros past them.
    @inline(__always)
    package static func load(_ p: UnsafePointer<Float>, _ c: Int, _ count: Int) -> Vector {
        if count == 16 { return UnsafeRawPointer(p + c).loadUnaligned(as: Vector.self) }
        var v = Vector()
        for i in 0..<count { v[i] = p[c + i] }
        return v
    }

    /// The first `count` ≤ 16 lanes of v into p + c.
    @inline(__always)
    package static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>, _ c: Int, _ count: Int) {
        if count == 16 {
            UnsafeMutableRawPointer(p + c).storeBytes(of: v, as: Vector.self)
        } else {
            for i in 0..<count { p[c + i] = v[i] }
        }
    }

    /// The backward pass of the FFN's middle for one row, given dP = ∂L/∂(act(H) [⊙ Gt]) (F
    /// entries) and the row of fc1 (and gate) outputs `expanded` (H, then Gt when gated):
    ///
    ///     GLU:    dH = act′(H) ⊙ (dP ⊙ Gt),  dGt = dP ⊙ act(H)      into dExpanded (2F)
    ///     plain:  dH = act′(H) ⊙ dP                                 into dExpanded (F)
    ///
    /// as `FeedForward.backward` computes them. The last, partial block of 16 is padded with zeros.
    package static func feedForwardBackward(_ activation: Activation, expanded: UnsafePointer<Float>, gated: Bool, hidden f: Int,
                                    outputGradient dP: UnsafePointer<Float>, into dExpanded: UnsafeMutablePointer<Float>) {
        var c = 0
        while c < f {
            let count = Swift.min(16, f - c)
            let h = load(expanded, c, count), dp = load(dP, c, count)
            if gated {
                let gate = load(expanded + f, c, count)
                store(derivative(activation, h) * (dp * gate), dExpanded, c, count)
                store(dp * apply(activation, h), dExpanded + f, c, count)
            } else {
                store(derivative(activation, h) * dp, dExpanded, c, count)
            }
            c += 16
        }
    }

    /// d ← swish′(g) ⊙ d for `count` entries (the gate's backward pass, `Activation.backward`).
    package static func swishBackward(_ g: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, count: Int) {
        var c = 0
        while c < count {
            let width = Swift.min(16, count - c)
            store(derivative(.swish, load(g, c, width)) * load(d, c, width), d, c, width)
            c += 16
        }
    }
}
