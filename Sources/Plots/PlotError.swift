/// Why a plot cannot be drawn; each case names the axis or the series.
public enum PlotError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An axis range that is empty, not finite, or not positive on a logarithmic axis.
    case invalidRange(axis: String, lower: Double, upper: Double)
    /// A line plot with no series at all (its title named).
    case noSeries(String)
    /// A series with no point, or a point that is not finite (or not positive on a log axis).
    case invalidSeries(String)
    /// A heatmap with no cell, or rows of different lengths.
    case invalidGrid(String)

    public var description: String {
        switch self {
        case .invalidRange(let axis, let lower, let upper):
            "axis '\(axis)': the range \(lower)…\(upper) is empty, not finite, or not positive on a logarithmic axis"
        case .noSeries(let title): "plot '\(title)': no series to draw"
        case .invalidSeries(let name): "series '\(name)': no points, or a point outside what its axes can show"
        case .invalidGrid(let what): "heatmap '\(what)': no cells, or rows of different lengths"
        }
    }
}
