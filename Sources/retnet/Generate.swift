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

    /// The most tokens one sample may generate (a million take about a minute in a release build).
    static let maximumNewTokens = 1_000_000

    @Option(help: "How many tokens to generate per sample (0...\(Generate.maximumNewTokens)), each printed as it is chosen.")
    var maxNewTokens = 500

    @Option(help: "Sampling temperature T > 0 (nanoGPT's sample.py: 0.8); --greedy takes the argmax instead.")
    var temperature = 0.8

    @Option(help: "Draw only from the k most likely tokens (nanoGPT's top_k: 200, which keeps every token of a small vocabulary).")
    var topK = 200

    @Flag(help: "Greedy decoding: always the most likely token (no temperature, no draw).")
    var greedy = false

    @Option(help: "Samples to generate (1...100), each with seed --seed + its index, separated by a line of dashes.")
    var numSamples = 1

    @Option(help: "Seed of the sampler (the first sample's; sample i uses seed + i).")
    var seed: UInt64 = 0

    @Option(help: "Chunk size B of the prefill, at most 65536 (default: the config's recurrent_chunk_size).")
    var chunkSize: Int?

    func validate() throws {
        guard (0...Self.maximumNewTokens).contains(maxNewTokens) else {
            throw ValidationError("--max-new-tokens must be in 0...\(Self.maximumNewTokens), got \(maxNewTokens).")
        }
        guard temperature > 0 && temperature.isFinite else {
            throw ValidationError("--temperature must be a finite number > 0, got \(temperature) (for greedy decoding pass --greedy).")
        }
        guard topK >= 1 else { throw ValidationError("--top-k must be at least 1, got \(topK).") }
        guard (1...100).contains(numSamples) else { throw ValidationError("--num-samples must be in 1...100, got \(numSamples).") }
        if let chunkSize, chunkSize < 1 { throw ValidationError("--chunk-size must be at least 1, got \(chunkSize).") }
        if let chunkSize, chunkSize > RetNetConfig.maximumChunkSize {
            throw ValidationError("--chunk-size must be at most \(RetNetConfig.maximumChunkSize), got \(chunkSize).")
        }
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
        let decoder = try FastRetNet(model).decoding(prefill: .chunkwise(chunkSize: chunk))
        try samples(prompt: ids, tokenizer: tokenizer) { sampler, chosen throws in
            _ = try decoder.stream(prompt: ids, count: maxNewTokens, sampler: sampler, topK: topK) { token, _ in chosen(token) }
        }
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
        try samples(prompt: ids, tokenizer: tokenizer) { sampler, chosen throws in
            switch contents.model.config.attention {
            case .softmax:
                _ = try FastTransformer(contents.model).stream(prompt: ids, count: maxNewTokens, sampler: sampler, context: context,
                                                               topK: topK) { token, _ in chosen(token) }
            case .linear:
                _ = try contents.model.stream(prompt: ids, count: maxNewTokens, sampler: sampler, context: context,
                                              topK: topK) { token, _ in chosen(token) }
            }
        }
    }

    /// Runs `generate` once per sample with that sample's sampler, printing the prompt and then
    /// each token as it is chosen (flushed at once): as text when the prompt was text, else the
    /// generated token ids separated by commas. A line of dashes separates the samples.
    func samples(prompt: [Int], tokenizer: CharacterTokenizer?,
                 generate: (Sampler, (Int) -> Void) throws -> Void) throws {
        for sample in 0..<numSamples {
            if sample > 0 { print("---------------") }
            let sampler: Sampler = greedy ? .greedy : .temperature(temperature, seed: seed &+ UInt64(sample))
            if let tokenizer { print(try tokenizer.decode(prompt), terminator: "") }
            var first = true
            var failure: (any Error)?
            try generate(sampler) { token in
                guard failure == nil else { return }
                do {
                    let piece = if let tokenizer { try tokenizer.decode([token]) } else { (first ? "" : ",") + String(token) }
                    print(piece, terminator: "")
                    StandardOutput.flush()
                } catch {
                    failure = error
                }
                first = false
            }
            if let failure { throw failure }
            print("")
        }
    }

    /// The prompt's token ids, and the tokenizer that encoded --prompt-text (read only then).
    func encodedPrompt(tokenizer: () throws(TrainingError) -> CharacterTokenizer) throws -> (ids: [Int], tokenizer: CharacterTokenizer?) {
        guard let promptText else { return (try RetNetTool.tokens(prompt ?? "", flag: "--prompt"), nil) }
        let loaded = try tokenizer()
        return (try loaded.encode(promptText), loaded)
    }
}
