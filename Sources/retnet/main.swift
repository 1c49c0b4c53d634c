import ArgumentParser
import FastRetNet
import FastTransformer
import Foundation
import Layers
import Matrices
import MultiScaleRetention
import RetNetModel
import SafeTensors
import TorchscaleCheckpoint
import Training
import Transformer

/// `retnet`: run a torchscale RetNet checkpoint with this package's model, no Python needed.
struct RetNetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retnet",
        abstract: "Run a torchscale 0.3.0 RetNet checkpoint (config.json + model.safetensors) in Swift.",
        discussion: "Build it optimised: swift run -c release retnet …",
        subcommands: [Logits.self, Generate.self, Inspect.self, Gradients.self, Train.self])
}

/// The checkpoint directory, shared by every subcommand.
struct CheckpointOptions: ParsableArguments {
    @Option(help: "A directory holding config.json (torchscale RetNetConfig keys) and model.safetensors.")
    var checkpoint: String

    func load() throws -> TorchscaleCheckpoint {
        try fail { () throws(CheckpointError) in try TorchscaleCheckpoint(directory: URL(fileURLWithPath: checkpoint)) }
    }
}

/// Turns a library error into a message on stderr and exit status 1.
func fail<T, Failure: Error>(_ body: () throws(Failure) -> T) throws -> T {
    do {
        return try body()
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode.failure
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

struct Logits: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the logits for a token sequence as JSON: {\"logits\": [[…], …]}, one row per position.")

    @OptionGroup var checkpoint: CheckpointOptions

    @Option(help: "Comma-separated token ids, e.g. 3,1,4,1,5.")
    var tokens: String

    @OptionGroup var retention: RetentionOptions

    func validate() throws {
        _ = try RetNetTool.tokens(self.tokens, flag: "--tokens")
    }

    func run() throws {
        let ids = try RetNetTool.tokens(self.tokens, flag: "--tokens")
        let checkpoint = try checkpoint.load()
        let model: RetNet<Float> = try fail { () throws(CheckpointError) in try checkpoint.model(Float.self) }
        // A recurrent pass over the sequence gives row n from tokens 0…n: decoding one by one.
        let (form, scaling) = retention.formAndScaling(config: checkpoint.config)
        let logits = try fail { () throws(RetNetError) in try model.forward(ids, form: form, scaling: scaling).logits }
        let rows = (0..<logits.rows).map { n in
            "[" + (0..<logits.columns).map { "\(logits[n, $0])" }.joined(separator: ", ") + "]"
        }
        print("{\"logits\": [" + rows.joined(separator: ", ") + "]}")
    }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read a prompt chunkwise, then decode recurrently; print the generated token ids (or text).",
        discussion: """
            Runs on the SIMD kernels (FastRetNet), which compute exact retention as the reference model does. \
            With --prompt-text the checkpoint must hold a tokenizer.json (as `retnet train` writes): the \
            prompt is encoded with it and the prompt and its continuation are printed as text.

            --checkpoint may also be a Transformer's training checkpoint (transformer.json, as \
            `retnet train --model transformer` writes), run on the SIMD kernels (FastTransformer). It was trained on \
            windows of a fixed context (training.json's), so it generates as nanoGPT does, with a sliding \
            window: each new token is predicted from the last `context` tokens only, and what leaves the \
            window is forgotten (a longer prompt is cut to its last `context` tokens). While the text fits \
            in the window each token is decoded against the KV cache; past it, the window is read again \
            for every token. --chunk-size does not apply to it.
            """)

    @OptionGroup var checkpoint: CheckpointOptions

    @Option(help: "Comma-separated prompt token ids, e.g. 3,1,4.")
    var prompt: String?

    @Option(help: "A text prompt, e.g. \"ROMEO:\" (needs the checkpoint's tokenizer.json).")
    var promptText: String?

    @Option(help: "How many tokens to generate.")
    var maxNewTokens: Int

    @Option(help: "Sampling temperature; omit for greedy decoding (argmax).")
    var temperature: Double?

    @Option(help: "Seed of the sampler (with --temperature).")
    var seed: UInt64 = 0

    @Option(help: "Chunk size B of the prefill (default: the config's recurrent_chunk_size).")
    var chunkSize: Int?

    func validate() throws {
        guard maxNewTokens >= 0 else { throw ValidationError("--max-new-tokens must be ≥ 0, got \(maxNewTokens).") }
        if let temperature, !(temperature > 0 && temperature.isFinite) {
            throw ValidationError("--temperature must be a finite number > 0, got \(temperature).")
        }
        if let chunkSize, chunkSize < 1 { throw ValidationError("--chunk-size must be at least 1, got \(chunkSize).") }
        switch (prompt, promptText) {
        case (let ids?, nil): _ = try RetNetTool.tokens(ids, flag: "--prompt")
        case (nil, let text?) where text.isEmpty: throw ValidationError("--prompt-text must hold at least one character.")
        case (nil, _?): break
        default: throw ValidationError("Give exactly one of --prompt (token ids) and --prompt-text (text).")
        }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: checkpoint.checkpoint)
        if TrainingCheckpoint.holds(Transformer<Float>.self, in: directory) && !TrainingCheckpoint.holds(RetNet<Float>.self, in: directory) {
            try generateWithTransformer(directory)
            return
        }
        let checkpoint = try checkpoint.load()
        let model: RetNet<Float> = try fail { () throws(CheckpointError) in try checkpoint.model(Float.self) }
        let (ids, tokenizer) = try encodedPrompt { () throws(TrainingError) in
            guard let found = try TrainingCheckpoint.tokenizer(in: directory) else {
                throw .checkpoint(path: directory.path, reason: "no tokenizer.json, so --prompt-text cannot be encoded "
                                  + "(give token ids with --prompt)")
            }
            return found
        }
        let chunk = chunkSize ?? checkpoint.config.recurrentChunkSize
        let generation = try fail { () throws(RetNetError) in
            try FastRetNet(model).generate(prompt: ids, count: maxNewTokens, sampler: sampler, prefill: .chunkwise(chunkSize: chunk))
        }
        try show(prompt: ids, generated: generation.tokens, tokenizer: tokenizer)
    }

    /// A Transformer training checkpoint: its model, tokenizer and training context read back
    /// (`TrainingCheckpoint.load`), the text generated with a window of that context.
    func generateWithTransformer(_ directory: URL) throws {
        if chunkSize != nil {
            throw ValidationError("--chunk-size: \(self.checkpoint.checkpoint) holds a Transformer, which reads its prompt in one pass.")
        }
        let contents = try fail { () throws(TrainingError) in try TrainingCheckpoint.load(Transformer<Float>.self, from: directory) }
        let (ids, tokenizer) = try encodedPrompt { () throws(TrainingError) in contents.tokenizer }
        let tokens = try fail { () throws(TransformerError) in
            try FastTransformer(contents.model).generate(prompt: ids, count: maxNewTokens, context: contents.configuration.context,
                                                         sampler: sampler).tokens
        }
        try show(prompt: ids, generated: tokens, tokenizer: tokenizer)
    }

    var sampler: Sampler { temperature.map { .temperature($0, seed: seed) } ?? .greedy }

    /// The prompt's token ids, and the tokenizer that encoded --prompt-text (read only then).
    func encodedPrompt(tokenizer: () throws(TrainingError) -> CharacterTokenizer) throws -> (ids: [Int], tokenizer: CharacterTokenizer?) {
        guard let promptText else { return (try RetNetTool.tokens(prompt ?? "", flag: "--prompt"), nil) }
        let loaded = try fail(tokenizer)
        return (try fail { () throws(TrainingError) in try loaded.encode(promptText) }, loaded)
    }

    /// The prompt and its continuation as text when the prompt was text, else the generated token ids.
    func show(prompt: [Int], generated: [Int], tokenizer: CharacterTokenizer?) throws {
        if let tokenizer {
            print(try fail { () throws(TrainingError) in try tokenizer.decode(prompt + generated) })
        } else {
            print(generated.map(String.init).joined(separator: ","))
        }
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the config, the tensors, the parameter count and how far the stored θ and log γ buffers are from what the config implies.")

    @OptionGroup var checkpoint: CheckpointOptions

    func run() throws {
        let checkpoint = try checkpoint.load()
        // Building the model checks every tensor; inspect reports a broken checkpoint too.
        _ = try fail { () throws(CheckpointError) in try checkpoint.model(Float.self) }
        print(try checkpoint.config.json())
        for name in checkpoint.weights.names {
            let tensor = checkpoint.weights.tensors[name]!
            print("\(name)  \(tensor.dtype.rawValue)  \(tensor.shape)")
        }
        print("parameters: \(Format.grouped(checkpoint.parameterCount))")
        // The buffers the model computes with, and how far they are from what the config implies.
        let buffers = try fail { () throws(CheckpointError) in try checkpoint.storedBuffers() }
        for buffer in buffers { print("buffer " + buffer.summary) }
        if buffers.isEmpty { print("buffers: none stored; θ and γ computed from the config") }
    }
}

struct Gradients: ParsableCommand {
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

    func run() throws {
        let ids = try RetNetTool.tokens(tokens, flag: "--tokens")
        let checkpoint = try checkpoint.load()
        let model: RetNet<Double> = try fail { () throws(CheckpointError) in try checkpoint.model(Double.self) }
        let (form, scaling) = retention.formAndScaling(config: checkpoint.config)
        let (loss, gradients) = try fail { () throws(RetNetError) in try model.gradients(ids, form: form, scaling: scaling) }
        let entries = gradients.named.map { SafeTensors.Entry(name: $0.name, shape: $0.shape, values: $0.values.map(Float.init)) }
        try fail { () throws(GradientFileError) in try GradientFileError.write(entries, to: URL(fileURLWithPath: out)) }
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

RetNetCommand.main()
