import ArgumentParser
import Benchmarks
import FastRetNet
import Foundation
import Kernels
import Matrices
import Measuring
import MultiScaleRetention
import RetNetModel
import TorchscaleCheckpoint

/// `bench model`: the fast model (FastRetNet) on a torchscale checkpoint.
struct ModelBenchmark: Benchmark {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "The fast model (FastRetNet) on a torchscale checkpoint: forward passes or decoding.",
        discussion: """
            parallel and chunkwise: a forward pass over --length seeded random tokens (logits for every \
            position); median_seconds is one pass and tokens_per_second = length / median. recurrent: \
            --length tokens decoded one at a time by a FastRetNet.Decoder (its buffers reused, nothing allocated per step), each step timed (repetitions \
            = length); median_seconds is the median step and ms_per_token = 1000 × it. Parameters: mode, \
            length, chunk_size (chunkwise only), weight_bytes (the fast model's weights, read once per \
            decoded token), checkpoint, seed, tile (the GEMM's register tile on this machine, 6x16 or 12x32).
            """)

    /// The retention form of the whole model, by its flag name.
    enum Mode: String, CaseIterable, ExpressibleByArgument {
        case parallel, chunkwise, recurrent
    }

    @Option(help: "A directory holding config.json (torchscale RetNetConfig keys) and model.safetensors.")
    var checkpoint: String

    @Option(parsing: .singleValue,
            help: "A mode; repeat the option for several, one result each.")
    var mode: [Mode] = Mode.allCases

    @Option(help: "Tokens per forward pass, or tokens decoded (1...65536).")
    var length = 2048

    @Option(help: "Chunk size B of the chunkwise mode (≥ 1; default: the config's recurrent_chunk_size).")
    var chunkSize: Int?

    @OptionGroup var threads: ThreadOptions
    @OptionGroup var timing: RepetitionOptions
    @OptionGroup var input: SeedOptions

    func validate() throws {
        try requireSize(length, in: 1...65_536, "--length")
        if let chunkSize, chunkSize < 1 { throw ValidationError("--chunk-size must be at least 1, got \(chunkSize).") }
    }

    func measure(report: (BenchmarkResult) throws -> Void) throws {
        let checkpoint = try TorchscaleCheckpoint(directory: URL(fileURLWithPath: self.checkpoint))
        let model = try FastRetNet(try checkpoint.model(Float.self), threads: threads.threads)
        var rng = input.generator
        let ids = (0..<length).map { _ in Int(rng.next() % UInt64(checkpoint.config.vocabSize)) }
        let chunk = chunkSize ?? checkpoint.config.recurrentChunkSize
        for mode in mode {
            var parameters: [String: Parameter] = [
                "mode": .text(mode.rawValue), "length": .integer(length), "weight_bytes": .integer(model.weightBytes),
                "checkpoint": .text(self.checkpoint), "seed": .integer(input.seed),
                "tile": .text(GEMMBlocking.selected.tile.rawValue),
            ]
            progress("\(mode.rawValue), \(length) tokens, \(threads.threads) thread(s)")
            let result: BenchmarkResult
            switch mode {
            case .parallel, .chunkwise:
                let form: RetentionForm = mode == .parallel ? .parallel : .chunkwise(chunkSize: chunk)
                if mode == .chunkwise { parameters["chunk_size"] = .integer(chunk) }
                let seconds = try median(repetitions: timing.repetitions) { blackHole(try model.forward(ids, form: form)) }
                result = BenchmarkResult(benchmark: "model", parameters: parameters, threads: threads.threads,
                                         repetitions: timing.repetitions, medianSeconds: seconds, tokens: length)
            case .recurrent:
                // The allocation-free decoding path: a Decoder owns its buffers, state and logits.
                try FastRetNet.Decoder(model).step(ids[0])  // untimed
                let decoder = try FastRetNet.Decoder(model)
                var times: [Double] = []
                for id in ids {
                    times.append(try Stopwatch.seconds {
                        try decoder.step(id)
                        blackHole(decoder.logits[0])
                    })
                }
                result = BenchmarkResult(benchmark: "model", parameters: parameters, threads: threads.threads,
                                         repetitions: length, medianSeconds: Stopwatch.median(of: times), tokens: 1)
            }
            try report(result)
        }
    }
}
