import ChapterSupport
import Foundation

/// The record of `--length-generalisation`: the machine, the date, the settings of the four
/// trainings and, for every reading of every model, its mean next-token loss per position over
/// the validation windows — binned (log-spaced), over a few fixed spans and at a few positions.
/// Written by the run, read by the page (which shows it as measured on that machine) and by
/// `--redraw-figures`.
struct LengthRecord: MeasuredRecord {
    static let path = "Chapters/12-training-on-long-sequences/records/length-generalisation.json"

    let cpu: String, date: String, load: String
    let threads: Int
    /// Whether the runs took fewer steps than the full budget (2,000 steps of 12 × 64 tokens).
    let reduced: Bool
    /// Positions read per window (the window is one token longer), and the windows read.
    let positions: Int, windows: Int
    let runs: [Run]

    /// One trained model and what it was read with.
    struct Run: Codable {
        let model: String
        let context: Int, batchSize: Int, steps: Int, warmup: Int, evalInterval: Int, evalIterations: Int
        /// The gradients' form: "parallel", "naive", "chunkwise (B = 64)", "tiled (B = 64)".
        let form: String
        let parameters: Int
        let finalValidationLoss: Double
        /// Wall time of the training, evaluations included (under the load the record names).
        let minutes: Double
        let readings: [Reading]

        /// Tokens predicted in training: steps × batch × context.
        var tokens: Int { steps * batchSize * context }
    }

    /// One way of reading the windows: its name and the mean loss per position.
    struct Reading: Codable {
        /// "recurrent state", "full context", "sliding window".
        let name: String
        /// The keys a query attends to, for a sliding window; nil: all before it.
        let window: Int?
        let bins: [Span]
        let spans: [Span]
        let points: [Point]

        /// The mean over the positions first … last (a span of `spans`); nil if none was recorded.
        func mean(_ first: Int, _ last: Int) -> Double? {
            spans.first { $0.first == first && $0.last == last }?.mean
        }
    }

    /// The mean loss (nats) over positions first … last of every window.
    struct Span: Codable {
        let first: Int, last: Int, mean: Double
    }

    /// The mean loss (nats) at one position over the windows.
    struct Point: Codable {
        let position: Int, mean: Double
    }

    func run(_ model: String, context: Int) -> Run? {
        runs.first { $0.model == model && $0.context == context }
    }
}

/// The per-position means of a reading, summarised for the record.
enum PositionSummary {
    /// Spans every page claim reads: the first positions, the second half of the short training
    /// context, and each stretch past it to the long one and beyond.
    static let spans: [(Int, Int)] = [(1, 8), (33, 64), (65, 128), (129, 512), (513, 1_024), (1_025, 4_096), (2_049, 4_096),
                                      (993, 1_024)]
    /// Positions whose own mean is recorded.
    static let points = [1, 2, 4, 8, 16, 32, 64, 65, 128, 256, 512, 1_024, 1_025, 2_048, 4_096]

    /// Log-spaced bins over 1 … n: bin k starts at round(2^(k/4)) (repeats merged), the last —
    /// from the last start at most 3n/4 — runs to n.
    static func bins(_ n: Int) -> [(Int, Int)] {
        var starts: [Int] = []
        for k in 0... {
            let start = Int(pow(2, Double(k) / 4).rounded())
            if !starts.isEmpty && start > n * 3 / 4 { break }
            if starts.last != start { starts.append(start) }
        }
        return starts.indices.map { i in (starts[i], i + 1 < starts.count ? starts[i + 1] - 1 : n) }
    }

    /// `means[p − 1]` is the mean at position p.
    static func reading(_ name: String, window: Int?, means: [Double]) -> LengthRecord.Reading {
        func span(_ range: (Int, Int)) -> LengthRecord.Span {
            let (first, last) = (range.0, min(range.1, means.count))
            let values = means[(first - 1)..<last]
            return .init(first: first, last: last, mean: values.reduce(0, +) / Double(values.count))
        }
        return .init(name: name, window: window, bins: bins(means.count).map(span),
                     spans: spans.filter { $0.0 <= means.count }.map(span),
                     points: points.filter { $0 <= means.count }.map { .init(position: $0, mean: means[$0 - 1]) })
    }
}
