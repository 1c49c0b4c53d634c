import Foundation
import Matrices
import Plots
import Recall

/// The two measured figures, drawn from a record: accuracy against width, one line per model
/// and pairs count (Zoology's Fig. 2), and accuracy against the floats a model carries from token
/// to token (Based's trade-off), a dashed 50% line on both.
enum GridFigures {
    static let widthPath = "Figures/recall-width-measured.svg"
    static let statePath = "Figures/recall-state-measured.svg"

    /// One hue per model, lighter to darker as the pairs grow; the Transformer dashed.
    static let colors: [RecallModel: [String]] = [.retnet: ["#6baed6", "#2171b5", "#08306b", "#041838"],
                                                  .linearAttention: ["#74c476", "#238b45", "#00441b", "#002210"],
                                                  .transformer: ["#fb6a4a", "#cb181d", "#67000d", "#330006"]]

    static func write(_ record: RecallRecord, root: URL) throws {
        let caption = "Measured on \(record.cpu), \(record.date) (\(record.load) when it started), release build, "
            + "\(record.threads) thread(s): `swift run -c release chapter13 --full-run`. MQAR at T = \(record.length), "
            + "vocabulary \(record.vocabulary), 2 layers, 2 heads; \(record.steps) steps of batch \(record.batchSize) per run, "
            + "the best of learning rates \(record.learningRates.map { "\($0)" }.joined(separator: ", ")) per cell; accuracy "
            + "on \(record.evaluationExamples) held-out examples. The grid took \(Format.fixed(record.minutes, 1)) min."
        let pairs = Array(Set(record.results.map(\.pairs))).sorted()
        let widths = record.results.map { Double($0.shape.width) }
        func series(x: (RecallResult) -> Double) -> [LinePlot.Series] {
            RecallModel.allCases.flatMap { model in
                pairs.enumerated().map { index, p in
                    let points = record.results.filter { $0.model == model && $0.pairs == p }
                        .map { (x: x($0), y: $0.accuracy) }.sorted { $0.x < $1.x }
                    let shades = colors[model]!
                    return LinePlot.Series("\(model.title), \(p) pairs", points: points, color: shades[min(index, shades.count - 1)],
                                           dashed: model == .transformer)
                }
            }.filter { !$0.points.isEmpty }
        }
        /// The 50% line across an axis's range.
        func half(_ axis: Axis) -> LinePlot.Series {
            LinePlot.Series("50%", points: [(x: axis.range.lowerBound, y: 0.5), (x: axis.range.upperBound, y: 0.5)],
                            color: "#888888", dashed: true)
        }
        let widthAxis = try Axis("model width E", range: (widths.min()! / 2)...(widths.max()! * 2), scale: .logarithmic)
        let byWidth = LinePlot(
            title: "MQAR accuracy against model width (measured)", x: widthAxis,
            y: try Axis("accuracy at the answers", range: 0...1),
            series: series { Double($0.shape.width) } + [half(widthAxis)], caption: caption)
        try Data(try byWidth.svg(width: 900, height: 460).utf8).write(to: root.appendingPathComponent(widthPath))
        let floats = record.results.map { Double($0.stateFloats) }
        let stateAxis = try Axis("state (RetNet, linear attention: L·E²/h) or KV cache at T (Transformer), floats",
                                 range: (floats.min()! / 1.5)...(floats.max()! * 1.5), scale: .logarithmic)
        let byState = LinePlot(
            title: "MQAR accuracy against the floats carried per token (measured)", x: stateAxis,
            y: try Axis("accuracy at the answers", range: 0...1),
            series: series { Double($0.stateFloats) } + [half(stateAxis)], caption: caption)
        try Data(try byState.svg(width: 900, height: 460).utf8).write(to: root.appendingPathComponent(statePath))
    }
}
