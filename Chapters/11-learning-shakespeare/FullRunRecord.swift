import ChapterSupport
import Foundation
import Training

/// The record of one `chapter11 --full-run`: the machine, the date, the settings, and for every
/// seed both models' evaluations and wall times; a sample of each model of the first seed, and
/// what a decoding step of those two trained models took at a few positions. Written by the full
/// run, read by the page, which shows it as measured on the machine it names.
struct FullRunRecord: MeasuredRecord {
    static let path = "Chapters/11-learning-shakespeare/records/training-full.json"

    /// One model trained with one seed.
    struct Run: Codable {
        let model: String
        let seed: UInt64
        let parameters: Int
        /// Wall time of the training, evaluations included.
        let seconds: Double
        let history: [Evaluation]

        var finalTrain: Double { Double(history.last?.trainLoss ?? .nan) }
        var finalValidation: Double { Double(history.last?.validationLoss ?? .nan) }
    }

    /// What a model wrote after `prompt` (temperature 0.8, the seed's generator).
    struct Sample: Codable {
        let model: String, seed: UInt64, prompt: String, text: String
    }

    /// The median wall time of one decoding step (batch 1) after `position` tokens.
    struct DecodingTime: Codable {
        let model: String, position: Int, microseconds: Double
    }

    /// One head of the first seed's maps (`AttentionMaps`): how far back it looks on the line, and
    /// the largest relative gap between the outputs its layer's maps imply and the layer's own.
    struct MapHead: Codable {
        let model: String, layer: Int, head: Int, gamma: Double?, meanDistance: Double, layerGap: Double
    }

    let cpu: String, date: String, loadAtStart: String, loadAtEnd: String
    let threads: Int, iterations: Int, batchSize: Int, context: Int
    let seeds: [UInt64]
    let runs: [Run]
    let samples: [Sample]
    let decoding: [DecodingTime]
    /// The line the maps were drawn for, and its heads.
    let mapLine: String
    let maps: [MapHead]

    /// The runs of `model`, in seed order.
    func runs(of model: String) -> [Run] { runs.filter { $0.model == model } }
}

/// Mean, sample standard deviation and range of a few numbers (the seeds' final losses).
struct Spread {
    let mean: Double, deviation: Double, low: Double, high: Double

    init(_ values: [Double]) {
        let n = Double(values.count)
        let average = values.reduce(0, +) / n
        let squares = values.reduce(0) { $0 + ($1 - average) * ($1 - average) }
        mean = average
        deviation = values.count > 1 ? (squares / (n - 1)).squareRoot() : 0
        (low, high) = (values.min() ?? .nan, values.max() ?? .nan)
    }
}
