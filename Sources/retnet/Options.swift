import ArgumentParser
import Foundation
import MultiScaleRetention
import RetNetModel
import TorchscaleCheckpoint

/// The checkpoint directory, shared by every subcommand.
struct CheckpointOptions: ParsableArguments {
    @Option(help: "A directory holding config.json (torchscale RetNetConfig keys) and model.safetensors.")
    var checkpoint: String

    func load() throws -> TorchscaleCheckpoint {
        try TorchscaleCheckpoint(directory: URL(fileURLWithPath: checkpoint))
    }
}

/// The retention form of `logits` and `gradients`, and whether torchscale's row factors apply.
struct RetentionOptions: ParsableArguments {
    @Option(help: "The retention form: parallel, recurrent (token by token) or chunkwise.")
    var mode: Mode = .parallel

    @Option(help: "Chunk size B for --mode chunkwise (default: the config's recurrent_chunk_size).")
    var chunkSize: Int?

    @Flag(help: """
        Compute exact retention in every mode. By default each mode reproduces torchscale's own \
        per-row scaling (D̃ and R̃ in parallel, D̃ in recurrent, its chunk scales in chunkwise), which \
        the per-head norm cancels only when layernorm_eps = 0.
        """)
    var exactRetention = false

    func validate() throws {
        if let chunkSize, chunkSize < 1 { throw ValidationError("--chunk-size must be at least 1, got \(chunkSize).") }
    }

    /// The form, and torchscale's row factors for that mode (`RowScaling`), unless exact
    /// retention was asked for. torchscale's modes differ by a positive factor per head and row.
    func formAndScaling(config: RetNetConfig) -> (RetentionForm, RowScaling) {
        let chunk = chunkSize ?? config.recurrentChunkSize
        let (form, scaling): (RetentionForm, RowScaling) = switch mode {
        case .parallel: (.parallel, .paper)
        case .recurrent: (.recurrent, .decay)
        case .chunkwise: (.chunkwise(chunkSize: chunk), .torchscaleChunkwise(chunkSize: chunk))
        }
        return (form, exactRetention ? .exact : scaling)
    }
}

/// The retention form a subcommand runs, as a flag.
enum Mode: String, ExpressibleByArgument, CaseIterable {
    case parallel, recurrent, chunkwise
}

/// Helpers shared by the subcommands.
enum RetNetTool {
    static func tokens(_ text: String, flag: String) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let ids = parts.compactMap { Int($0) }
        guard !text.isEmpty, ids.count == parts.count else {
            throw ValidationError("\(flag) must be comma-separated token ids, e.g. 3,1,4; got '\(text)'.")
        }
        return ids
    }
}

/// A `retnet` subcommand whose work runs inside one error boundary: an error from the library
/// (a checkpoint that cannot be read, a model that rejects its input) is printed as
/// "error: …" on standard error and the command exits with status 1. ArgumentParser's own
/// errors pass through: a `ValidationError` prints the usage and exits with status 64, an
/// `ExitCode` exits with its status.
protocol ReportingCommand: ParsableCommand {
    /// The subcommand's work: what `run()` does inside the boundary.
    func execute() throws
}

extension ReportingCommand {
    func run() throws {
        do {
            try execute()
        } catch let error as ValidationError {
            throw error
        } catch let error as ExitCode {
            throw error
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
