import Matrices
import MultiScaleRetention
import Retention
import Testing

/// max |got − expected| / max |expected| (∞ for a shape mismatch or a non-finite entry).
func relativeError<E: RealScalar>(_ got: Matrix<E>, _ expected: Matrix<E>) -> Double {
    guard got.shape == expected.shape else { return .infinity }
    if got.storage.isEmpty { return 0 }
    guard got.isFinite else { return .infinity }
    return got.deviation(from: expected).maxRelative
}

/// `#expect(error ≤ bound)` with a message naming the comparison, the worst entry and the bound.
func expectClose<E: RealScalar>(_ got: Matrix<E>, _ expected: Matrix<E>, within bound: Double, _ what: String,
                                sourceLocation: SourceLocation = #_sourceLocation) {
    let error = relativeError(got, expected)
    let at = got.shape == expected.shape && !got.storage.isEmpty ? got.deviation(from: expected) : nil
    #expect(error <= bound, """
        \(what): max relative error \(Format.scientific(error, 2)) exceeds \(Format.scientific(bound, 1))\
        \(at.map { " at [\($0.at.row), \($0.at.column)]: got \($0.got), expected \($0.expected)" } ?? "")
        """, sourceLocation: sourceLocation)
}

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

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}
