import ArgumentParser
import Foundation
import MultiScaleRetention
import RetNetModel
import SafeTensors
import TorchscaleCheckpoint

struct Gradients: ReportingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write every parameter's gradient of the next-token loss to a safetensors file; print {\"loss\": …}.",
        discussion: """
            The loss is the mean over positions t = 0 … T−2 of the cross-entropy of logits[t] against \
            tokens[t+1] (PyTorch's F.cross_entropy(logits[:-1], tokens[1:])). The gradients are computed \
            in Double by explicit backward passes and written as F32 under the checkpoint's own tensor \
            names. Each mode applies torchscale's row factors for that mode, held constant as torchscale \
            0.3.0 detaches them, so --mode parallel gives what torch autograd gives in torchscale's \
            default (parallel) mode.
            """)

    @OptionGroup var checkpoint: CheckpointOptions

    @Option(help: "Comma-separated token ids, at least two, e.g. 3,1,4,1,5.")
    var tokens: String

    @OptionGroup var retention: RetentionOptions

    @Option(help: "The safetensors file to write (written to a temporary file beside it, then renamed into place).")
    var out: String

    func validate() throws {
        let ids = try RetNetTool.tokens(tokens, flag: "--tokens")
        guard ids.count >= 2 else {
            throw ValidationError("--tokens must hold at least 2 token ids (the loss predicts each next token), got \(ids.count).")
        }
    }

    func execute() throws {
        let ids = try RetNetTool.tokens(tokens, flag: "--tokens")
        let checkpoint = try checkpoint.load()
        let model: RetNet<Double> = try checkpoint.model(Double.self)
        let (form, scaling) = retention.formAndScaling(config: checkpoint.config)
        let (loss, gradients) = try model.gradients(ids, form: form, scaling: scaling)
        let entries = gradients.named.map { SafeTensors.Entry(name: $0.name, shape: $0.shape, values: $0.values.map(Float.init)) }
        try GradientFileError.write(entries, to: URL(fileURLWithPath: out))
        print("wrote \(entries.count) gradients to \(out)")
        print("{\"loss\": \(loss)}")
    }
}

/// Writing the gradient file: the bytes go to a temporary file in the destination's folder,
/// which is then renamed over the destination, so a reader never sees half a file and a failed
/// run leaves whatever was there before.
struct GradientFileError: Error, CustomStringConvertible {
    let path: String
    let reason: String

    var description: String { "cannot write \(path): \(reason)" }

    static func write(_ entries: [SafeTensors.Entry], to url: URL) throws(GradientFileError) {
        let data: Data
        do {
            data = try SafeTensors.encode(entries, metadata: ["format": "pt"])
        } catch {
            throw GradientFileError(path: url.path, reason: "\(error)")
        }
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try data.write(to: temporary)
        } catch {
            throw GradientFileError(path: url.path, reason: (error as NSError).localizedDescription)
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw GradientFileError(path: url.path, reason: reason)
        }
    }
}
