import Kernels
import Layers
import MultiScaleRetention

/// Every norm of the model on rows of flat Float buffers, forward and backward — the one
/// implementation the inference (`FastRetNet`, `FastTransformer`) and training (`FastTraining`)
/// paths share, so that a model's forward pass rounds the same in both — in
/// `NormBackward`'s formulas (chapter 10): for a group of d entries, x̂ = (x − μ) · r with
/// r = 1/√(σ² + ε) (μ = 0 and σ² the mean square for RMSNorm), y = x̂ ⊙ w + b, and dx̂ = dy ⊙ w,
///
///     dx = r · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ ⊙ x̂))     (centred: LayerNorm, GroupNorm)
///     dx = r · (dx̂ − x̂ · mean(dx̂ ⊙ x̂))                 (RMSNorm)
///
/// Sixteen entries at a time: each sum in sixteen lanes, then across them, then the last d mod 16
/// entries one by one, so the order of every sum depends only on d.
///
/// The weight and bias gradients are sums over rows: each row's terms, dy ⊙ x̂, are written out
/// and `columnSums` adds them in row order afterwards, so that rows can be split between threads
/// and the sums still come out the same for any thread count.
package enum NormRows {
    package typealias Vector = SIMD16<Float>

    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>, _ c: Int) -> Vector {
        UnsafeRawPointer(p + c).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    private static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>, _ c: Int) {
        UnsafeMutableRawPointer(p + c).storeBytes(of: v, as: Vector.self)
    }

    /// μ (0 unless `centred`) and r = 1/√(σ² + ε) of the d entries at x.
    @inline(__always)
    package static func statistics(_ x: UnsafePointer<Float>, count d: Int, centred: Bool, eps: Float) -> (mean: Float, r: Float) {
        let (count, full) = (Float(d), d / 16 * 16)
        var mean: Float = 0
        if centred {
            var lanes = Vector()
            for c in stride(from: 0, to: full, by: 16) { lanes += load(x, c) }
            mean = lanes.sum()
            for c in full..<d { mean += x[c] }
            mean /= count
        }
        var lanes = Vector()
        for c in stride(from: 0, to: full, by: 16) {
            let centredValue = load(x, c) - mean
            lanes += centredValue * centredValue
        }
        var spread = lanes.sum()
        for c in full..<d {
            let centredValue = x[c] - mean
            spread += centredValue * centredValue
        }
        return (mean, 1 / (spread / count + eps).squareRoot())
    }

    /// y = x̂ ⊙ w + b for one group of d entries at x (w and b: the group's d weights and biases,
    /// nil for a norm without them). y may be x itself.
    package static func forward(_ x: UnsafePointer<Float>, count d: Int, centred: Bool, eps: Float, weight: UnsafePointer<Float>?,
                        bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>) {
        let (mean, r) = statistics(x, count: d, centred: centred, eps: eps)
        let full = d / 16 * 16
        for c in stride(from: 0, to: full, by: 16) {
            var value = (load(x, c) - mean) * r
            if let weight { value *= load(weight, c) }
            if let bias { value += load(bias, c) }
            store(value, y, c)
        }
        for c in full..<d {
            var value = (x[c] - mean) * r
            if let weight { value *= weight[c] }
            if let bias { value += bias[c] }
            y[c] = value
        }
    }

    /// Rows `rows` of a block norm (over all E columns) of X into Y.
    package static func block(_ norm: BlockNorm<Float>, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                      rows: Range<Int>, width e: Int) {
        let (centred, eps, weight, bias): (Bool, Float, [Float], [Float]) = switch norm {
        case .layerNorm(let w, let b, let eps): (true, eps, w, b)
        case .rms(let w, let eps): (false, eps, w, [])
        }
        weight.withUnsafeBufferPointer { weight in
            bias.withUnsafeBufferPointer { bias in
                for n in rows {
                    forward(x + n * e, count: e, centred: centred, eps: eps, weight: weight.baseAddress,
                            bias: bias.isEmpty ? nil : bias.baseAddress, into: y + n * e)
                }
            }
        }
    }

    /// The per-head norm of the d_v outputs at `source` into `row` (which may be `source`);
    /// `channel` is the head's first column in the layer's h·d_v channels (for GroupNorm's weight
    /// and bias).
    package static func head(_ norm: HeadNorm<Float>, _ source: UnsafePointer<Float>, into row: UnsafeMutablePointer<Float>,
                             width dv: Int, channel: Int) {
        switch norm {
        case .groupNorm(let weight, let bias, let eps):
            weight.withUnsafeBufferPointer { weight in
                bias.withUnsafeBufferPointer { bias in
                    forward(source, count: dv, centred: true, eps: eps, weight: weight.baseAddress.map { $0 + channel },
                            bias: bias.baseAddress.map { $0 + channel }, into: row)
                }
            }
        case .rms(let eps):
            forward(source, count: dv, centred: false, eps: eps, weight: nil, bias: nil, into: row)
        }
    }

    /// dx for one group of d entries at `x` given dy; dy ⊙ x̂ into `weightTerms` when given.
    /// `weight` is the group's d weights (nil for a norm without one).
    package static func backward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, count d: Int, centred: Bool, eps: Float,
                         weight: UnsafePointer<Float>?, into dx: UnsafeMutablePointer<Float>,
                         weightTerms: UnsafeMutablePointer<Float>?) {
        let (mean, r) = statistics(x, count: d, centred: centred, eps: eps)
        let (count, full) = (Float(d), d / 16 * 16)
        var (dXHatLanes, productLanes) = (Vector(), Vector())
        for c in stride(from: 0, to: full, by: 16) {
            let (xHat, g) = ((load(x, c) - mean) * r, load(dy, c))
            let dXHat = weight.map { g * load($0, c) } ?? g
            if let weightTerms { store(g * xHat, weightTerms, c) }
            dXHatLanes += dXHat
            productLanes += dXHat * xHat
        }
        var (meanDXHat, meanProduct) = (dXHatLanes.sum(), productLanes.sum())
        for c in full..<d {
            let xHat = (x[c] - mean) * r
            let dXHat = weight.map { dy[c] * $0[c] } ?? dy[c]
            weightTerms?[c] = dy[c] * xHat
            meanDXHat += dXHat
            meanProduct += dXHat * xHat
        }
        meanDXHat = centred ? meanDXHat / count : 0
        meanProduct /= count
        for c in stride(from: 0, to: full, by: 16) {
            let (xHat, g) = ((load(x, c) - mean) * r, load(dy, c))
            let dXHat = weight.map { g * load($0, c) } ?? g
            store(r * (dXHat - meanDXHat - xHat * meanProduct), dx, c)
        }
        for c in full..<d {
            let xHat = (x[c] - mean) * r
            let dXHat = weight.map { dy[c] * $0[c] } ?? dy[c]
            dx[c] = r * (dXHat - meanDXHat - xHat * meanProduct)
        }
    }

    /// dX for rows `rows` of a block norm (over all E columns) of X, given dY; dY ⊙ x̂ into the
    /// same rows of `weightTerms` (rows×E).
    package static func block(_ norm: BlockNorm<Float>, _ x: UnsafePointer<Float>, _ dY: UnsafePointer<Float>,
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
    package static func columnSums(_ terms: UnsafePointer<Float>, rows: Int, width: Int) -> [Float] {
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
    package static func gradients(_ norm: BlockNorm<Float>, weightTerms: UnsafePointer<Float>, outputGradient dY: UnsafePointer<Float>,
                          rows: Int, width e: Int) -> NormGradients<Float> {
        let weight = columnSums(weightTerms, rows: rows, width: e)
        switch norm {
        case .layerNorm: return NormGradients(weight: weight, bias: columnSums(dY, rows: rows, width: e))
        case .rms: return NormGradients(weight: weight, bias: [])
        }
    }
}

/// `NormRows.block` on a band of rows: a value, so that a decoding step of several rows hands it
/// to the threads without an allocation (`BandWork`).
package struct BlockNormRows: BandWork {
    let norm: BlockNorm<Float>
    let x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
    let width: Int

    /// `norm` of the rows of x (each `width` floats) into y.
    package init(_ norm: BlockNorm<Float>, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, width: Int) {
        (self.norm, self.x, self.y, self.width) = (norm, x, y, width)
    }

    package func callAsFunction(_ band: Range<Int>) { NormRows.block(norm, x, into: y, rows: band, width: width) }
}
