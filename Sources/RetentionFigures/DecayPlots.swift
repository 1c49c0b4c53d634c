import Diagonalisation
import Matrices
import MultiScaleRetention
import Plots
import Retention

/// The plots of what retention remembers, drawn from the same code the chapters run: each head's
/// decay matrix D (`Decay.mask`), how much of a token each head keeps k tokens later, and the
/// shift invariance of the rotated scores (`PairRotation.rotate`).
public enum DecayPlots {
    /// A plot as SVG text with its file name (without extension).
    public struct Plot: Sendable {
        public let name: String
        public let svg: String
    }

    static let colors = ["#08519c", "#3182bd", "#6baed6", "#31a354", "#74c476", "#e6550d", "#fd8d3c", "#756bb1"]

    /// D of each head of Eq. 8's schedule (γ_i = 1 − 2^{−5−i}) for n tokens, side by side, every
    /// `stride`-th row and column (so a long sequence stays a small file).
    public static func decayHeatmaps(heads: Int = 4, length: Int = 128, stride: Int = 4) throws -> Plot {
        let gammas = DecaySchedule.eq8.gammas(heads: heads)
        let shown = Array(Swift.stride(from: 0, to: length, by: stride))
        let panels = try gammas.enumerated().map { i, gamma in
            let d = try Decay(gamma).mask(length)
            return Heatmap.Panel("head \(i): γ = 1 − 2^−\(5 + i)", values: shown.map { n in shown.map { d[n, $0] } })
        }
        let map = Heatmap(title: "The decay matrix D of each head (Eq. 8) over \(length) tokens: row n weighs key m by γ^(n−m)",
                          panels: panels, range: 0...1, columnLabel: "m (key position, every \(stride)th)",
                          rowLabel: "n (query position)")
        return Plot(name: "decay-heads", svg: try map.svg(panelSize: 180))
    }

    /// γ_i^k against the distance k (1 … 8,192, logarithmic) for each head of Eq. 8's schedule,
    /// with each head's memory 1/(1 − γ_i) marked on its curve's axis and lines at 512, 2,048 and
    /// 8,192 tokens.
    public static func receptiveFields(heads: Int = 8) throws -> Plot {
        let gammas = DecaySchedule.eq8.gammas(heads: heads)
        // Whole distances, about 10 per doubling (every one below 16).
        let distances = Array(Set((0...130).map { Double.pow(2, Double($0) / 10).rounded() })).filter { $0 <= 8192 }.sorted()
        let series = try gammas.enumerated().map { i, gamma in
            let decay = try Decay(gamma)
            return LinePlot.Series("head \(i): memory \(Format.grouped(Int((1 / (1 - gamma)).rounded())))",
                                   points: distances.map { ($0, decay.power(Int($0))) }, color: colors[i % colors.count])
        }
        let plot = LinePlot(
            title: "What each head keeps of a token k tokens later: γ^k (Eq. 8, \(heads) heads)",
            x: try Axis("k (distance in tokens)", range: 1...8192, scale: .logarithmic),
            y: try Axis("γ^k", range: 0...1), series: series,
            markers: [512, 2048, 8192].map { LinePlot.Marker(x: Double($0), label: Format.grouped($0)) })
        return Plot(name: "receptive-fields", svg: try plot.svg(width: 840, height: 420))
    }

    /// rot_n(q)·rot_m(k) for pairs at a fixed offset Δ = n − m, against n: flat lines, since the
    /// score depends only on n − m; rotating q alone (dashed) is not.
    public static func shiftInvariance(dim: Int = 8, length: Int = 40, offsets: [Int] = [0, 3, 8], seed: UInt64 = 3) throws -> Plot {
        var rng = SplitMix64(seed: seed)
        let q = Matrix<Double>.gaussian(rows: 1, columns: dim, using: &rng)
        let k = Matrix<Double>.gaussian(rows: 1, columns: dim, using: &rng)
        let theta = PairRotation.torchscaleAngles(pairs: dim / 2)
        func rotated(_ x: Matrix<Double>, _ position: Int) throws -> Matrix<Double> {
            try PairRotation.rotate(x, theta: theta, offset: position)
        }
        func dot(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double { (0..<dim).reduce(0) { $0 + a[0, $1] * b[0, $1] } }
        var series: [LinePlot.Series] = []
        for (i, delta) in offsets.enumerated() {
            let points = try (delta..<length).map { n in (Double(n), dot(try rotated(q, n), try rotated(k, n - delta))) }
            series.append(.init("both rotated, n − m = \(delta)", points: points, color: colors[(2 * i) % colors.count]))
        }
        let delta = offsets.last ?? 0
        let qOnly = try (delta..<length).map { n in (Double(n), dot(try rotated(q, n), k)) }
        series.append(.init("q rotated alone, n − m = \(delta)", points: qOnly, color: "#cb181d", dashed: true))
        let all = series.flatMap { $0.points.map(\.y) }
        let bound = (all.map(Swift.abs).max() ?? 1) * 1.1
        let plot = LinePlot(title: "Rotated scores depend only on n − m: rot_n(q)·rot_m(k) along the sequence",
                            x: try Axis("n (query position)", range: 0...Double(length)),
                            y: try Axis("score", range: -bound...bound), series: series)
        return Plot(name: "shift-invariance", svg: try plot.svg(width: 840, height: 400))
    }
}
