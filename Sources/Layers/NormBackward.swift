import Matrices

/// The backward pass shared by every norm of the model — the per-head norm of multi-scale
/// retention (chapter 06) and the block norms (chapter 07) — since all four are one formula over a group of d entries of a row:
///
///     x̂ = (x − μ) · r,   r = 1/√(σ² + ε),   y = x̂ ⊙ w + b
///
/// with μ the group's mean and σ² its variance (LayerNorm, GroupNorm: "centred"), or μ = 0 and
/// σ² the mean square (RMSNorm); w and b present or not. With dx̂ = dy ⊙ w (dy when there is
/// no weight), the chain rule through μ and r gives
///
///     dx = r · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ ⊙ x̂))        (centred)
///     dx = r · (dx̂ − x̂ · mean(dx̂ ⊙ x̂))                    (RMS: the mean(dx̂) term came from μ)
///     dw += dy ⊙ x̂,   db += dy                               (summed over rows: one w per channel)
///
/// The last term is how r depends on x: ∂r/∂x_j = −r³ (x_j − μ)/d, and r³ (x_c − μ)(x_j − μ) =
/// r x̂_c x̂_j. A scale c > 0 of the whole group gives y unchanged when ε = 0, and accordingly
/// dx ⊥ x̂: Σ_j dx_j x̂_j = r (Σ dx̂ x̂ − d mean(dx̂ x̂)) = 0 (minus the mean term, which is ⊥ x̂
/// too when centred, as Σ x̂ = 0).
package enum NormBackward {
    /// dX for X (n×W) normalised in `groups` groups of W/groups consecutive columns per row,
    /// given dY (n×W). With a `weight` (W entries, one per channel), dY ⊙ w flows back and
    /// dY ⊙ x̂ is added to `weightGradient`; dY is added to `biasGradient` when that has W
    /// entries (an empty one means the norm has no bias). Shapes are the caller's to check.
    package static func backward<E: RealScalar>(_ x: Matrix<E>, outputGradient dY: Matrix<E>, groups: Int,
                                                centred: Bool, eps: E, weight: [E]?,
                                                weightGradient: inout [E], biasGradient: inout [E]) -> Matrix<E>
    {
        let (rows, width) = (x.rows, x.columns)
        let d = width / groups
        let count = E(d)
        let hasBias = biasGradient.count == width
        var dX = [E](repeating: 0, count: rows * width)
        var xHat = [E](repeating: 0, count: d), dXHat = [E](repeating: 0, count: d)
        for n in 0..<rows {
            for group in 0..<groups {
                let start = n * width + group * d, channel = group * d
                var mean: E = 0
                if centred {
                    for c in 0..<d { mean += x.storage[start + c] }
                    mean /= count
                }
                var spread: E = 0
                for c in 0..<d {
                    let centredValue = x.storage[start + c] - mean
                    spread += centredValue * centredValue
                }
                let r = 1 / E.sqrt(spread / count + eps)
                var meanDXHat: E = 0, meanProduct: E = 0
                for c in 0..<d {
                    let dy = dY.storage[start + c]
                    xHat[c] = (x.storage[start + c] - mean) * r
                    dXHat[c] = weight.map { dy * $0[channel + c] } ?? dy
                    if weight != nil { weightGradient[channel + c] += dy * xHat[c] }
                    if hasBias { biasGradient[channel + c] += dy }
                    meanDXHat += dXHat[c]
                    meanProduct += dXHat[c] * xHat[c]
                }
                meanDXHat = centred ? meanDXHat / count : 0
                meanProduct /= count
                for c in 0..<d { dX[start + c] = r * (dXHat[c] - meanDXHat - xHat[c] * meanProduct) }
            }
        }
        return Matrix(rows: rows, columns: width, entries: dX)
    }
}
