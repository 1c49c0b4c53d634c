import ArgumentParser
import FastRetNet
import FastTransformer
import Foundation
import Generation
import Layers
import RetNetModel
import TorchscaleCheckpoint
import Training
import Transformer

struct Generate: ReportingCommand {
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

    func execute() throws {
        let directory = URL(fileURLWithPath: checkpoint.checkpoint)
        if TrainingCheckpoint.holds(Transformer<Float>.self, in: directory) && !TrainingCheckpoint.holds(RetNet<Float>.self, in: directory) {
            try generateWithTransformer(directory)
            return
        }
        let checkpoint = try checkpoint.load()
        let model: RetNet<Float> = try checkpoint.model(Float.self)
        let (ids, tokenizer) = try encodedPrompt { () throws(TrainingError) in
            guard let found = try TrainingCheckpoint.tokenizer(in: directory) else {
                throw .checkpoint(path: directory.path, reason: "no tokenizer.json, so --prompt-text cannot be encoded "
                                  + "(give token ids with --prompt)")
            }
            return found
        }
        let chunk = chunkSize ?? checkpoint.config.recurrentChunkSize
        let generation = try FastRetNet(model).generate(prompt: ids, count: maxNewTokens, sampler: sampler,
                                                        prefill: .chunkwise(chunkSize: chunk))
        try show(prompt: ids, generated: generation.tokens, tokenizer: tokenizer)
    }

    /// A Transformer training checkpoint: its model, tokenizer and training context read back
    /// (`TrainingCheckpoint.load`), the text generated with a window of that context.
    func generateWithTransformer(_ directory: URL) throws {
        if chunkSize != nil {
            throw ValidationError("--chunk-size: \(self.checkpoint.checkpoint) holds a Transformer, which reads its prompt in one pass.")
        }
        let contents = try TrainingCheckpoint.load(Transformer<Float>.self, from: directory)
        let (ids, tokenizer) = try encodedPrompt { () throws(TrainingError) in contents.tokenizer }
        let context = contents.configuration.context
        // Softmax attention decodes on the kernels; linear attention on the reference model (no
        // fast decoder of its own yet), with the same window.
        let tokens = switch contents.model.config.attention {
        case .softmax: try FastTransformer(contents.model).generate(prompt: ids, count: maxNewTokens, sampler: sampler,
                                                                    context: context).tokens
        case .linear: try contents.model.generate(prompt: ids, count: maxNewTokens, sampler: sampler, context: context).tokens
        }
        try show(prompt: ids, generated: tokens, tokenizer: tokenizer)
    }

    var sampler: Sampler { temperature.map { .temperature($0, seed: seed) } ?? .greedy }

    /// The prompt's token ids, and the tokenizer that encoded --prompt-text (read only then).
    func encodedPrompt(tokenizer: () throws(TrainingError) -> CharacterTokenizer) throws -> (ids: [Int], tokenizer: CharacterTokenizer?) {
        guard let promptText else { return (try RetNetTool.tokens(prompt ?? "", flag: "--prompt"), nil) }
        let loaded = try tokenizer()
        return (try loaded.encode(promptText), loaded)
    }

    /// The prompt and its continuation as text when the prompt was text, else the generated token ids.
    func show(prompt: [Int], generated: [Int], tokenizer: CharacterTokenizer?) throws {
        if let tokenizer {
            print(try tokenizer.decode(prompt + generated))
        } else {
            print(generated.map(String.init).joined(separator: ","))
        }
    }
}
