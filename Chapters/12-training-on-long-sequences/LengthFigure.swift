import Foundation
import Matrices
import Notebook
import Plots

/// The measured figure of `--length-generalisation`, drawn from its record: the mean loss per
/// position (log-spaced bins, each drawn at its geometric middle) against the position on a
/// logarithmic axis, one colour per reading, solid for the models trained at context 64, dashed
/// for those trained at 1,024, a marker at each training context.
enum LengthFigure {
    static let path = "Figures/length-generalisation-measured.svg"

    static let colors = ["RetNet, whole window": "#2171b5", "Transformer, full context": "#cb181d",
                         "Transformer, sliding window": "#fd8d3c"]

    static func write(_ record: LengthRecord, root: URL) throws {
        var series: [LinePlot.Series] = []
        for run in record.runs {
            for reading in run.readings {
                let key = "\(run.model), \(reading.name)"
                let name = "\(key)\(reading.window.map { " of \($0)" } ?? ""), trained at \(run.context)"
                let points = reading.bins.map { (x: (Double($0.first) * Double($0.last)).squareRoot(), y: $0.mean) }
                series.append(.init(name, points: points, color: colors[key] ?? "#555555", dashed: run.context > 64))
            }
        }
        let losses = record.runs.flatMap { $0.readings.flatMap { $0.bins.map(\.mean) } }
        let low = ((losses.min() ?? 1) * 2).rounded(.down) / 2
        let high = min(((losses.max() ?? 5) * 2).rounded(.up) / 2, low + 4)
        let settings = record.runs.map { run in
            "\(run.model) at context \(run.context): \(Format.grouped(run.steps)) steps of batch \(run.batchSize), \(run.form), "
                + "final validation loss \(Format.fixed(run.finalValidationLoss, 4))"
        }.joined(separator: "; ")
        let caption = "Measured on \(record.cpu), \(record.date) (\(record.load) when it started), release build, "
            + "\(record.threads) thread(s): `swift run -c release chapter12 --length-generalisation`"
            + (record.reduced ? " (REDUCED: fewer steps than the full budget)" : "") + ". Chapter 11's two models "
            + "(4 layers, 4 heads, width 128), trained on the same \(Format.grouped(record.runs[0].tokens)) predicted tokens of tiny "
            + "Shakespeare at each context. \(settings). Mean next-token loss at each position over \(record.windows) "
            + "non-overlapping validation windows of \(record.positions + 1) tokens, in log-spaced bins; the sliding window is "
            + "banded causal attention over the last T keys at every layer, T the training context. Losses above "
            + "\(Format.fixed(high, 1)) are off the top."
        let plot = LinePlot(
            title: "Loss per position past the training context (measured)",
            x: try Axis("position in the window (tokens read)", range: 1...Double(record.positions), scale: .logarithmic),
            y: try Axis("mean loss (nats per character)", range: low...max(high, low + 0.5)),
            series: series,
            markers: Array(Set(record.runs.map(\.context))).sorted().map { .init(x: Double($0), label: "T = \($0)") },
            caption: caption)
        try Data(try plot.svg(width: 900, height: 460).utf8).write(to: root.appendingPathComponent(path))
    }

    /// The record's spans as a table: one row per reading.
    static func rows(_ record: LengthRecord) -> (headers: [String], rows: [[String]]) {
        let spans = [(1, 8), (33, 64), (65, 128), (129, 512), (513, 1_024), (1_025, 4_096)]
        let headers = ["model", "trained at", "read with"] + spans.map { "\(Format.grouped($0.0))–\(Format.grouped($0.1))" }
        let rows = record.runs.flatMap { run in
            run.readings.map { reading in
                [run.model, "\(run.context)", reading.name + (reading.window.map { " of \($0)" } ?? "")]
                    + spans.map { span in reading.mean(span.0, span.1).map { Format.fixed($0, 3) } ?? "–" }
            }
        }
        return (headers, rows)
    }

    static func table(_ record: LengthRecord, _ nb: Notebook) {
        let (headers, rows) = rows(record)
        nb.table(headers, rows)
    }
}
