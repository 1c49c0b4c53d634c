import ArgumentParser
import MultiScaleRetention
import RetNetModel
import TorchscaleCheckpoint

struct Logits: ReportingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the logits for a token sequence as JSON: {\"logits\": [[…], …]}, one row per position.")

    @OptionGroup var checkpoint: CheckpointOptions

    @Option(help: "Comma-separated token ids, e.g. 3,1,4,1,5.")
    var tokens: String

    @OptionGroup var retention: RetentionOptions

    func validate() throws {
        _ = try RetNetTool.tokens(self.tokens, flag: "--tokens")
    }

    func execute() throws {
        let ids = try RetNetTool.tokens(self.tokens, flag: "--tokens")
        let checkpoint = try checkpoint.load()
        let model: RetNet<Float> = try checkpoint.model(Float.self)
        // A recurrent pass over the sequence gives row n from tokens 0…n: decoding one by one.
        let (form, scaling) = retention.formAndScaling(config: checkpoint.config)
        let logits = try model.forward(ids, form: form, scaling: scaling).logits
        let rows = (0..<logits.rows).map { n in
            "[" + (0..<logits.columns).map { "\(logits[n, $0])" }.joined(separator: ", ") + "]"
        }
        print("{\"logits\": [" + rows.joined(separator: ", ") + "]}")
    }
}
