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
        let directory = URL(fileURLWithPath: checkpoint)
        let manager = FileManager.default
        if !manager.fileExists(atPath: directory.appendingPathComponent("config.json").path),
           manager.fileExists(atPath: directory.appendingPathComponent("transformer.json").path) {
            throw RefusedInput(description: "checkpoint \(checkpoint) holds a Transformer's checkpoint (transformer.json, as "
                               + "retnet train --model transformer writes); this command reads RetNet checkpoints "
                               + "(config.json), and retnet generate runs both")
        }
        return try TorchscaleCheckpoint(directory: directory)
    }
}

/// The retention form of `logits` and `gradients`, and whether torchscale's row factors apply.
struct RetentionOptions: ParsableArguments {
    /// Up to this many tokens the default form is the parallel one; above it the chunkwise one,
    /// whose work grows as n·B where the parallel reference's grows as n² (4,000 tokens: a minute).
    static let parallelDefaultLimit = 512
    /// The most tokens `--mode parallel` takes when asked for by name.
    static let parallelLimit = 4_096

    @Option(help: """
        The retention form: parallel, recurrent (token by token) or chunkwise. Default: parallel up to         \(RetentionOptions.parallelDefaultLimit) tokens, chunkwise above (the parallel reference's cost grows as n²; \
        it takes at most \(RetentionOptions.parallelLimit) tokens).
        """)
    var mode: Mode?

    @Option(help: "Chunk size B for --mode chunkwise, at most 65536 (default: the config's recurrent_chunk_size).")
    var chunkSize: Int?

    @Flag(help: """
        Compute exact retention in every mode. By default each mode reproduces torchscale's own \
        per-row scaling (D̃ and R̃ in parallel, D̃ in recurrent, its chunk scales in chunkwise), which \
        the per-head norm cancels only when layernorm_eps = 0.
        """)
    var exactRetention = false

    func validate() throws {
        if let chunkSize, chunkSize < 1 { throw ValidationError("--chunk-size must be at least 1, got \(chunkSize).") }
        if let chunkSize, chunkSize > RetNetConfig.maximumChunkSize {
            throw ValidationError("--chunk-size must be at most \(RetNetConfig.maximumChunkSize), got \(chunkSize).")
        }
    }

    /// The form for `count` tokens: --mode, or by default parallel up to `parallelDefaultLimit`
    /// tokens and chunkwise above. Throws for --mode parallel above `parallelLimit` tokens.
    func resolvedMode(count: Int) throws -> Mode {
        if mode == .parallel && count > Self.parallelLimit {
            throw ValidationError("--mode parallel takes at most \(Self.parallelLimit) tokens (its cost grows as n²), got \(count); "
                                  + "use --mode chunkwise or recurrent.")
        }
        return mode ?? (count <= Self.parallelDefaultLimit ? .parallel : .chunkwise)
    }

    /// The form for `count` tokens (`resolvedMode`), and torchscale's row factors for that mode
    /// (`RowScaling`), unless exact retention was asked for. torchscale's modes differ by a
    /// positive factor per head and row.
    func formAndScaling(config: RetNetConfig, count: Int) throws -> (RetentionForm, RowScaling) {
        let chunk = chunkSize ?? config.recurrentChunkSize
        let (form, scaling): (RetentionForm, RowScaling) = switch try resolvedMode(count: count) {
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

/// The token ids of `logits` and `gradients`: `--tokens` on the command line, or `--tokens-file`
/// (a path, or - for standard input) for a sequence too long for one argument (Linux takes at
/// most 128 KiB in one).
struct TokenOptions: ParsableArguments {
    /// The most ids a sequence may hold.
    static let maximumCount = 1 << 20
    /// The most bytes a tokens file may hold: the largest count of the longest ids, with separators.
    static let maximumBytes = 16 << 20

    @Option(help: "Comma-separated token ids, e.g. 3,1,4,1,5.")
    var tokens: String?

    @Option(help: """
        A file of token ids separated by commas, spaces or newlines (- reads standard input), at most \
        \(TokenOptions.maximumCount) ids: for sequences too long for --tokens.
        """)
    var tokensFile: String?

    func validate() throws {
        guard (tokens == nil) != (tokensFile == nil) else {
            throw ValidationError("Give exactly one of --tokens (ids on the command line) and --tokens-file (a file of ids, or - for standard input).")
        }
        if let tokens { _ = try RetNetTool.tokens(tokens, flag: "--tokens") }
    }

    /// The ids, from the flag or the file.
    func ids() throws -> [Int] {
        if let tokens { return try RetNetTool.tokens(tokens, flag: "--tokens") }
        let path = tokensFile ?? "-"
        let handle: FileHandle
        if path == "-" {
            handle = FileHandle.standardInput
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ValidationError("--tokens-file: \(path) does not exist.")
            }
            guard !isDirectory.boolValue else { throw ValidationError("--tokens-file: \(path) is a directory, not a file of token ids.") }
            guard let opened = FileHandle(forReadingAtPath: path) else { throw ValidationError("--tokens-file: cannot open \(path).") }
            handle = opened
        }
        defer { if path != "-" { try? handle.close() } }
        // One byte past the bound tells a file that is too long without reading all of it.
        var data = Data()
        while data.count <= Self.maximumBytes, let chunk = try handle.read(upToCount: Self.maximumBytes + 1 - data.count), !chunk.isEmpty {
            data.append(chunk)
        }
        guard data.count <= Self.maximumBytes else {
            throw ValidationError("--tokens-file: \(path) holds more than \(Self.maximumBytes) bytes (at most \(Self.maximumCount) token ids).")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ValidationError("--tokens-file: \(path) is not UTF-8 text.") }
        let parts = text.split(whereSeparator: { $0 == "," || $0.isWhitespace })
        var ids: [Int] = []
        ids.reserveCapacity(parts.count)
        for (index, part) in parts.enumerated() {
            guard let id = Int(part) else {
                throw ValidationError("--tokens-file: \(path): item \(index) is not a token id, got '\(part.prefix(40))'.")
            }
            ids.append(id)
        }
        guard !ids.isEmpty else { throw ValidationError("--tokens-file: \(path) holds no token ids.") }
        guard ids.count <= Self.maximumCount else {
            throw ValidationError("--tokens-file: \(path) holds \(ids.count) token ids, at most \(Self.maximumCount) are taken.")
        }
        return ids
    }
}

/// Input a command refuses for what it holds (not for how it was spelled): "error: …" and exit 1.
struct RefusedInput: Error, CustomStringConvertible {
    let description: String
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
