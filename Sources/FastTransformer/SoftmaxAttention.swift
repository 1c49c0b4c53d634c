import Kernels

/// One query against the n keys and values of one head, in Float:
///
///     s_m = (q · k_m) / √d_k,   w = softmax(s),   o = Σ_m w_m v_m
///
/// as the reference computes it (`CausalSelfAttention.step`): the maximum subtracted before the
/// exponentials, the weights normalised before they multiply V. The exponentials are
/// `VectorMath.exp`, 16 scores at a time (the last block padded with −∞, whose exp is 0) —
/// within 2 ulp of the reference's libm `exp`.
enum SoftmaxAttention {
    typealias Vector = SIMD16<Float>

    /// o (d_v floats) for the query q (d_k floats) against `count` rows of keys (d_k) and
    /// values (d_v); `scores` has room for `count` rounded up to 16 floats.
    static func attend(q: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, count n: Int,
                       keyDimension dk: Int, valueDimension dv: Int, scale: Float, scores: UnsafeMutablePointer<Float>,
                       into o: UnsafeMutablePointer<Float>) {
        var peak = -Float.infinity
        for m in 0..<n {
            let k = keys + m * dk
            var dot: Float = 0
            for p in 0..<dk { dot += q[p] * k[p] }
            let s = scale * dot
            scores[m] = s
            peak = Swift.max(peak, s)
        }
        let padded = (n + 15) / 16 * 16
        for m in n..<padded { scores[m] = -.infinity }
        let raw = UnsafeMutableRawPointer(scores)
        var sums = Vector()
        for block in stride(from: 0, to: padded, by: 16) {
            let e = VectorMath.exp(raw.loadUnaligned(fromByteOffset: block * 4, as: Vector.self) - Vector(repeating: peak))
            raw.storeBytes(of: e, toByteOffset: block * 4, as: Vector.self)
            sums += e
        }
        let total = sums.sum()
        for j in 0..<dv { o[j] = 0 }
        for m in 0..<n {
            let w = scores[m] / total, v = values + m * dv
            for j in 0..<dv { o[j] += w * v[j] }
        }
    }
}
