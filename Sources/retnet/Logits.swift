import ArgumentParser
import MultiScaleRetention
import RetNetModel
import TorchscaleCheckpoint

struct Logits: ReportingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the logits for a token sequence as JSON: {\"logits\": [[…], …]}, one row per position.")

    @OptionGroup var checkpoint: CheckpointOptions

    @OptionGroup var input: TokenOptions

    @OptionGroup var retention: RetentionOptions

    func execute() throws {
        let ids = try input.ids()
        let checkpoint = try checkpoint.load()
        let model: RetNet<Float> = try checkpoint.model(Float.self)
        // A recurrent pass over the sequence gives row n from tokens 0…n: decoding one by one.
        let (form, scaling) = try retention.formAndScaling(config: checkpoint.config, count: ids.count)
        let logits = try model.forward(ids, form: form, scaling: scaling).logits
        // JSON has no NaN or infinity: a value that is not finite is an error, never printed.
        for n in 0..<logits.rows {
            for c in 0..<logits.columns where !logits[n, c].isFinite {
                throw NonFiniteOutput(what: "logits[\(n)][\(c)]", value: Double(logits[n, c]))
            }
        }
        let rows = (0..<logits.rows).map { n in
            "[" + (0..<logits.columns).map { "\(logits[n, $0])" }.joined(separator: ", ") + "]"
        }
        print("{\"logits\": [" + rows.joined(separator: ", ") + "]}")
    }
}

/// A value that JSON cannot hold (NaN, ±infinity) in what a command was to print.
struct NonFiniteOutput: Error, CustomStringConvertible {
    let what: String
    let value: Double

    var description: String { "\(what) is \(value.isNaN ? "NaN" : "\(value)"), which JSON cannot hold; nothing was printed" }
}
