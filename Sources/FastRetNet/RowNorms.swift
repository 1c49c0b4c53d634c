import Foundation
import Kernels
import Layers
import MultiScaleRetention

/// The model's norms on rows of flat Float buffers, with the reference's arithmetic (`BlockNorm`,
/// `HeadNorm`): sums taken left to right in Float, 1/√(· + ε), then the same products in the
/// same order. Rows are independent; callers split them between threads.
package enum RowNorms {
    /// `norm` (LayerNorm or RMSNorm over all `width` features) of rows `rows` of x into y.
    package static func block(_ norm: BlockNorm<Float>, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                      rows: Range<Int>, width e: Int) {
        for n in rows {
            let row = x + n * e, out = y + n * e
            switch norm {
            case .layerNorm(let weight, let bias, let eps):
                var sum: Float = 0
                for c in 0..<e { sum += row[c] }
                let mean = sum / Float(e)
                var squares: Float = 0
                for c in 0..<e { squares += (row[c] - mean) * (row[c] - mean) }
                let scale = 1 / (squares / Float(e) + eps).squareRoot()
                for c in 0..<e { out[c] = (row[c] - mean) * scale * weight[c] + bias[c] }
            case .rms(let weight, let eps):
                var squares: Float = 0
                for c in 0..<e { squares += row[c] * row[c] }
                let scale = 1 / (squares / Float(e) + eps).squareRoot()
                for c in 0..<e { out[c] = row[c] * scale * weight[c] }
            }
        }
    }

    /// The per-head norm of one head's row of d_v outputs (in place); `channel` is the head's
    /// first column in the layer's h·d_v channels (for GroupNorm's weight and bias).
    package static func head(_ norm: HeadNorm<Float>, _ row: UnsafeMutablePointer<Float>, width dv: Int, channel: Int) {
        switch norm {
        case .groupNorm(let weight, let bias, let eps):
            var sum: Float = 0
            for c in 0..<dv { sum += row[c] }
            let mean = sum / Float(dv)
            var squares: Float = 0
            for c in 0..<dv { squares += (row[c] - mean) * (row[c] - mean) }
            let scale = 1 / (squares / Float(dv) + eps).squareRoot()
            for c in 0..<dv { row[c] = (row[c] - mean) * scale * weight[channel + c] + bias[channel + c] }
        case .rms(let eps):
            var squares: Float = 0
            for c in 0..<dv { squares += row[c] * row[c] }
            let scale = 1 / (squares / Float(dv) + eps).squareRoot()
            for c in 0..<dv { row[c] *= scale }
        }
    }
}

/// `RowNorms.block` on a band of rows: a value, so that a decoding step of several rows hands it
/// to the threads without an allocation (`BandWork`).
package struct BlockNormRows: BandWork {
    let norm: BlockNorm<Float>
    let x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
    let width: Int

    /// `norm` of the rows of x (each `width` floats) into y.
    package init(_ norm: BlockNorm<Float>, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, width: Int) {
        (self.norm, self.x, self.y, self.width) = (norm, x, y, width)
    }

    package func callAsFunction(_ band: Range<Int>) { RowNorms.block(norm, x, into: y, rows: band, width: width) }
}
