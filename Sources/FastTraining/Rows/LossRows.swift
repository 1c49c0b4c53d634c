import Kernels
import Layers

/// `NextTokenLoss` on rows of a flat Float buffer, for rows that each have a target: with
/// logsumexp taken after subtracting the row's largest logit,
///
///     ℓ_r = logsumexp(logits_r) − logits_r[target_r],     ∂L/∂logits_r = (softmax(logits_r) − e_target)/R
///
/// for the mean L = Σ_r ℓ_r / R over all R rows of the batch — or, given weights w_r that sum to 1
/// (a task whose loss counts some positions only), ∂L/∂logits_r = (softmax(logits_r) − e_target)·w_r
/// for L = Σ_r w_r ℓ_r. Rows are independent; the caller
/// splits them between threads and adds the ℓ_r in row order. Sixteen logits at a time, e^x by
/// `VectorMath.exp`; the last, partial block of a row is padded with −∞ (e^−∞ = 0).
enum LossRows {
    typealias Vector = SIMD16<Float>

    /// ℓ_r into `losses[r]` and ∂L/∂logits_r into `gradient` for the rows `rows` of the
    /// rows×`vocabulary` logits; `count` is R; `weights`, when given, the R weights w_r (summing
    /// to 1) in place of 1/R.
    static func evaluate(_ logits: UnsafePointer<Float>, targets: [Int], rows: Range<Int>, vocabulary: Int, count: Int,
                         weights: [Float]? = nil, losses: UnsafeMutablePointer<Float>, gradient: UnsafeMutablePointer<Float>) {
        let uniform = 1 / Float(count)
        let blocks = (vocabulary + 15) / 16
        // Block j of a row: its 16 logits, −∞ past the row's end.
        func load(_ row: UnsafePointer<Float>, _ j: Int) -> Vector {
            let start = j * 16
            if start + 16 <= vocabulary { return UnsafeRawPointer(row + start).loadUnaligned(as: Vector.self) }
            var v = Vector(repeating: -.infinity)
            for i in 0..<(vocabulary - start) { v[i] = row[start + i] }
            return v
        }
        for r in rows {
            let row = logits + r * vocabulary, out = gradient + r * vocabulary
            let scale = weights?[r] ?? uniform
            var largestLanes = Vector(repeating: -.infinity)
            for j in 0..<blocks { largestLanes = pointwiseMax(largestLanes, load(row, j)) }
            let largest = largestLanes.max()
            var sumLanes = Vector()
            for j in 0..<blocks { sumLanes += VectorMath.exp(load(row, j) - largest) }
            let logSum = largest + Float.log(sumLanes.sum())
            losses[r] = logSum - row[targets[r]]
            for j in 0..<blocks {
                let p = VectorMath.exp(load(row, j) - logSum) * scale
                let start = j * 16
                if start + 16 <= vocabulary {
                    UnsafeMutableRawPointer(out + start).storeBytes(of: p, as: Vector.self)
                } else {
                    for i in 0..<(vocabulary - start) { out[start + i] = p[i] }
                }
            }
            out[targets[r]] -= scale
        }
    }
}
