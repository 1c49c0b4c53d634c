/// Elementwise loops on flat Float buffers, sixteen entries at a time in `SIMD16` lanes and the
/// last count mod 16 one by one: the glue between the GEMMs of the fast forward passes (a decay
/// row on a tile of scores, ζ on V, ξ on Q R, γ^b on a state, a residual sum).
///
/// Every entry is one IEEE operation on its own inputs, the same one in a lane as in the scalar
/// tail (`addingProduct` is the fused multiply–add in both), so the results are those of the
/// plain scalar loops bit for bit, whatever the count.
package enum Elementwise {
    package typealias Vector = SIMD16<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ c: Int) -> Vector {
        UnsafeRawPointer(p + c).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>, _ c: Int) {
        UnsafeMutableRawPointer(p + c).storeBytes(of: v, as: Vector.self)
    }

    /// x[c] ·= factor[c] for c < count.
    @inline(__always)
    package static func multiply(_ x: UnsafeMutablePointer<Float>, by factor: UnsafePointer<Float>, count: Int) {
        let full = count & ~15
        var c = 0
        while c < full {
            store(load(x, c) * load(factor, c), x, c)
            c &+= 16
        }
        while c < count {
            x[c] *= factor[c]
            c &+= 1
        }
    }

    /// x[c] ·= s for c < count.
    @inline(__always)
    package static func multiply(_ x: UnsafeMutablePointer<Float>, by s: Float, count: Int) {
        let full = count & ~15
        var c = 0
        while c < full {
            store(load(x, c) * s, x, c)
            c &+= 16
        }
        while c < count {
            x[c] *= s
            c &+= 1
        }
    }

    /// y[c] = s · x[c] for c < count.
    @inline(__always)
    package static func scaled(_ x: UnsafePointer<Float>, by s: Float, into y: UnsafeMutablePointer<Float>, count: Int) {
        let full = count & ~15
        var c = 0
        while c < full {
            store(s * load(x, c), y, c)
            c &+= 16
        }
        while c < count {
            y[c] = s * x[c]
            c &+= 1
        }
    }

    /// y[c] = y[c] + s · x[c] for c < count, one fused multiply–add each.
    @inline(__always)
    package static func addProduct(_ s: Float, _ x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, count: Int) {
        let full = count & ~15
        var c = 0
        while c < full {
            store(load(y, c).addingProduct(s, load(x, c)), y, c)
            c &+= 16
        }
        while c < count {
            y[c] = y[c].addingProduct(s, x[c])
            c &+= 1
        }
    }

    /// y[c] += x[c] for c < count.
    @inline(__always)
    package static func add(_ x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, count: Int) {
        let full = count & ~15
        var c = 0
        while c < full {
            store(load(y, c) + load(x, c), y, c)
            c &+= 16
        }
        while c < count {
            y[c] += x[c]
            c &+= 1
        }
    }
}
