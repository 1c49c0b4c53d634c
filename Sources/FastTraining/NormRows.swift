import MultiScaleRetention
import RetNetModel

/// The backward pass of every norm of the model on rows of flat Float buffers, in
/// `NormBackward`'s formulas (chapter 10): for a group of d entries, x̂ = (x − μ) · r with
/// r = 1/√(σ² + ε) (μ = 0 and σ² the mean square for RMSNorm), y = x̂ ⊙ w + b, and dx̂ = dy ⊙ w,
///
///     dx = r · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ ⊙ x̂))     (centred: LayerNorm, GroupNorm)
///     dx = r · (dx̂ − x̂ · mean(dx̂ ⊙ x̂))                 (RMSNorm)
///
/// The weight and bias gradients are sums over rows: each row's terms, dy ⊙ x̂, are written out
/// and `columnSums` adds them in row order afterwards, so that rows can be split between threads
/// and the sums still come out the same for any thread count.
enum NormRows {
    /// dx for one group of d entries at `x` given dy; dy ⊙ x̂ into `weightTerms` when given.
    /// `weight` is the group's d weights (nil for a norm without one).
    static func backward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, count d: Int, centred: Bool, eps: Float,
                         weight: UnsafePointer<Float>?, into dx: UnsafeMutablePointer<Float>,
                         weightTerms: UnsafeMutablePointer<Float>?) {
        let count = Float(d)
        var mean: Float = 0
        if centred {
            for c in 0..<d { mean += x[c] }
            mean /= count
        }
        var spread: Float = 0
        for c in 0..<d {
            let centredValue = x[c] - mean
            spread += centredValue * centredValue
        }
        let r = 1 / (spread / count + eps).squareRoot()
        var meanDXHat: Float = 0, meanProduct: Float = 0
        for c in 0..<d {
            let xHat = (x[c] - mean) * r
            let dXHat = weight.map { dy[c] * $0[c] } ?? dy[c]
            weightTerms?[c] = dy[c] * xHat
            meanDXHat += dXHat
            meanProduct += dXHat * xHat
        }
        meanDXHat = centred ? meanDXHat / count : 0
        meanProduct /= count
        for c in 0..<d {
            let xHat = (x[c] - mean) * r
            let dXHat = weight.map { dy[c] * $0[c] } ?? dy[c]
            dx[c] = r * (dXHat - meanDXHat - xHat * meanProduct)
        }
    }

    /// dX for rows `rows` of a block norm (over all E columns) of X, given dY; dY ⊙ x̂ into the
    /// same rows of `weightTerms` (rows×E).
    static func block(_ norm: BlockNorm<Float>, _ x: UnsafePointer<Float>, _ dY: UnsafePointer<Float>,
                      into dX: UnsafeMutablePointer<Float>, weightTerms: UnsafeMutablePointer<Float>, rows: Range<Int>,
                      width e: Int) {
        let (centred, eps, weight): (Bool, Float, [Float]) = switch norm {
        case .layerNorm(let w, _, let eps): (true, eps, w)
        case .rms(let w, let eps): (false, eps, w)
        }
        weight.withUnsafeBufferPointer { weight in
            for n in rows {
                backward(x + n * e, dY + n * e, count: e, centred: centred, eps: eps, weight: weight.baseAddress,
                         into: dX + n * e, weightTerms: weightTerms + n * e)
            }
        }
    }

    /// Σ over `rows` rows of the rows×`width` matrix at `terms`, column by column, rows in order.
    static func columnSums(_ terms: UnsafePointer<Float>, rows: Int, width: Int) -> [Float] {
        var sums = [Float](repeating: 0, count: width)
        sums.withUnsafeMutableBufferPointer { sums in
            for n in 0..<rows {
                let row = terms + n * width
                for c in 0..<width { sums[c] += row[c] }
            }
        }
        return sums
    }

    /// The gradients of a block norm's own weights from its rows' terms: w from dY ⊙ x̂ and,
    /// for LayerNorm, b from dY.
    static func gradients(_ norm: BlockNorm<Float>, weightTerms: UnsafePointer<Float>, outputGradient dY: UnsafePointer<Float>,
                          rows: Int, width e: Int) -> NormGradients<Float> {
        let weight = columnSums(weightTerms, rows: rows, width: e)
        switch norm {
        case .layerNorm: return NormGradients(weight: weight, bias: columnSums(dY, rows: rows, width: e))
        case .rms: return NormGradients(weight: weight, bias: [])
        }
    }
}
