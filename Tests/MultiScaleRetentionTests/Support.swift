import Layers
import Matrices
import TestSupport
import MultiScaleRetention
import Retention
import Testing

/// A small layer with seeded weights of variance 1/in (scores of order 1, so R̃ and torchscale's
/// chunk scales really act), Eq. 8's γ unless given.
func makeLayer(embed e: Int = 8, value v: Int = 12, heads h: Int = 2, norm: HeadNorm<Double>? = nil,
               gammas: [Double]? = nil, precision: Rotation.Precision = .double, seed: UInt64 = 1) throws
    -> MultiScaleRetentionLayer<Double>
{
    var rng = SplitMix64(seed: seed)
    func w(_ out: Int, _ inn: Int) -> Matrix<Double> {
        .gaussian(rows: out, columns: inn, scale: 1 / Double(inn).squareRoot(), using: &rng)
    }
    return try MultiScaleRetentionLayer(
        heads: h, qProj: w(e, e), kProj: w(e, e), vProj: w(v, e), gProj: w(v, e), outProj: w(e, v),
        headNorm: norm ?? .rms(eps: 0), gammas: gammas ?? DecaySchedule.eq8.gammas(heads: h),
        rotation: try Rotation(keyDimension: e / h, precision: precision), keyScale: 1 / Double(e / h).squareRoot())
}

func inputs(rows: Int, columns: Int, seed: UInt64) -> Matrix<Double> {
    var rng = SplitMix64(seed: seed)
    return .gaussian(rows: rows, columns: columns, using: &rng)
}
