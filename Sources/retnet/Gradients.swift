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

    @OptionGroup var input: TokenOptions

    @OptionGroup var retention: RetentionOptions

    @Option(help: """
        The safetensors file to write (written to a temporary file beside it, then renamed into place). \
        An existing file is replaced only if this command wrote it, or with --force; never one in the \
        checkpoint's own directory.
        """)
    var out: String

    @Flag(help: "Replace an existing --out file that this command did not write.")
    var force = false

    func validate() throws {
        if let tokens = input.tokens {
            let ids = try RetNetTool.tokens(tokens, flag: "--tokens")
            guard ids.count >= 2 else {
                throw ValidationError("--tokens must hold at least 2 token ids (the loss predicts each next token), got \(ids.count).")
            }
        }
    }

    func execute() throws {
        let ids = try input.ids()
        guard ids.count >= 2 else {
            throw ValidationError("--tokens-file must hold at least 2 token ids (the loss predicts each next token), got \(ids.count).")
        }
        let folder = URL(fileURLWithPath: checkpoint.checkpoint)
        let checkpoint = try checkpoint.load()
        let model: RetNet<Double> = try checkpoint.model(Double.self)
        let (form, scaling) = try retention.formAndScaling(config: checkpoint.config, count: ids.count)
        let (loss, gradients) = try model.gradients(ids, form: form, scaling: scaling)
        guard loss.isFinite else { throw NonFiniteOutput(what: "the loss", value: loss) }
        let entries = gradients.named.map { SafeTensors.Entry(name: $0.name, shape: $0.shape, values: $0.values.map(Float.init)) }
        let destination = URL(fileURLWithPath: out)
        try GradientFileError.checkReplaceable(destination, checkpoint: folder, force: force)
        try GradientFileError.write(entries, to: destination)
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

    /// The metadata that marks a file this command wrote (and may replace).
    static let metadata = ["format": "pt", "written_by": "retnet gradients"]

    /// Throws unless `url` may be written: never a file in the checkpoint's directory (its own
    /// weights, configuration or training files), and an existing file only if it is a gradient
    /// file this command wrote, or with `force`.
    static func checkReplaceable(_ url: URL, checkpoint: URL, force: Bool) throws(GradientFileError) {
        let folder = url.deletingLastPathComponent().resolvingSymlinksInPath().standardizedFileURL.path
        guard folder != checkpoint.resolvingSymlinksInPath().standardizedFileURL.path else {
            throw GradientFileError(path: url.path, reason: "it is in the checkpoint's own directory, whose files are the model's; "
                                    + "write the gradients elsewhere")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue, !force else { return }
        let written = (try? SafeTensors(contentsOf: url)).map { $0.metadata["written_by"] == metadata["written_by"] } ?? false
        guard written else {
            throw GradientFileError(path: url.path, reason: "the file exists and was not written by retnet gradients; "
                                    + "pass --force to replace it")
        }
    }

    static func write(_ entries: [SafeTensors.Entry], to url: URL) throws(GradientFileError) {
        let data: Data
        do {
            data = try SafeTensors.encode(entries, metadata: metadata)
        } catch {
            throw GradientFileError(path: url.path, reason: "\(error)")
        }
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try data.write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw GradientFileError(path: url.path, reason: (error as NSError).localizedDescription)
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw GradientFileError(path: url.path, reason: reason)
        }
    }
}
