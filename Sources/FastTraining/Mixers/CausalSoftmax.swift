import FastLayers
import Kernels

/// Attention's score map: A = softmax(S/√d_k) row by row over the positions m ≤ t, zero above;
/// its backward is the softmax's Jacobian, dS_tm = A_tm (dA_tm − Σ_m′ A_tm′ dA_tm′)/√d_k
/// (`CausalAttention.softmaxBackward`, chapter 01). The exponentials are `VectorMath.exp`, 16
/// scores at a time, the masked ones −∞ (whose exp is 0).
struct CausalSoftmax: ScoreMap {
    typealias Vector = SIMD16<Float>
    /// 1/√d_k.
    let scale: Float

    init(keyDimension: Int) {
        scale = 1 / Float(keyDimension).squareRoot()
    }

    /// 0, 1, …, 15: which lanes of a block of 16 scores lie past the diagonal.
    private static let lanes = Vector(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

    func forward(_ p: UnsafeMutablePointer<Float>, length n: Int, head: Int) {
        let lanes = Self.lanes
        for t in 0..<n {
            let row = p + t * n
            var peak = -Float.infinity
            for m in 0...t {
                row[m] *= scale
                peak = Swift.max(peak, row[m])
            }
            var sums = Vector()
            for c in stride(from: 0, through: t, by: 16) {
                let count = Swift.min(16, n - c)
                var s = ActivationRows.load(row, c, count)
                s.replace(with: -.infinity, where: lanes .> Vector(repeating: Float(t - c)))
                let e = VectorMath.exp(s - Vector(repeating: peak))
                ActivationRows.store(e, row, c, count)
                sums += e
            }
            let total = sums.sum()
            for m in 0...t { row[m] /= total }
            for m in (t + 1)..<n { row[m] = 0 }
        }
    }

    func backward(_ dA: UnsafeMutablePointer<Float>, weights p: UnsafePointer<Float>, length n: Int, head: Int) {
        for t in 0..<n {
            let (pt, ds) = (p + t * n, dA + t * n)
            var inner: Float = 0
            for m in 0...t { inner += pt[m] * ds[m] }
            for m in 0...t { ds[m] = scale * pt[m] * (ds[m] - inner) }
            for m in (t + 1)..<n { ds[m] = 0 }
        }
    }
}
