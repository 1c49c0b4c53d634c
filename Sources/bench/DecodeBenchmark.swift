import ArgumentParser
import Benchmarks
import DecodingCosts
import FastRetNet
import FastTransformer
import Foundation
import Kernels
import Matrices
import Measuring
import RetNetModel
import Transformer

/// `bench decode`: what a decoding step costs the fast RetNet and the fast Transformer, against
/// the context length and the batch size, beside what the bytes/flops model predicts.
struct DecodeBenchmark: Benchmark {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decoding steps of the fast RetNet and the fast Transformer: latency against context, throughput against batch.",
        discussion: """
            Two sweeps per model, on seeded random weights of one shape (default: the shape of `bench model`'s \
            checkpoint, 6 layers, E = 512, V = 1024, 4 heads, FFN 1024, vocabulary 256, torchscale's variant; \
            the Transformer's FFN parameter-matched, see TransformerConfig): per-token latency at batch 1 for \
            every context of --contexts, and tokens/s for every batch of --batches at --batch-context. Each \
            case reads a seeded prompt of n tokens (a chunkwise forward or a GEMM prefill, untimed), makes a \
            batch decoder for that many copies of the sequence, takes one untimed step, then times --steps steps one \
            by one: median_seconds is the median step (one token per sequence), repetitions = steps. Parameters: model, \
            sweep, context, batch, the shape, and the model's prediction (DecodingCost, Float, as chapter 09 \
            counts it) — bytes_read_per_step (the weights once, every sequence's state or cache), \
            bytes_written_per_step (every sequence's write-back: the RetNet's whole state, the Transformer's \
            one new cache row), bytes_per_step = bytes moved, their sum, and multiply_adds_per_step; \
            read_bandwidth (bytes/s) and peak_flops (flop/s) measured at the start on the same threads (or \
            given), predicted_seconds = max(bytes moved / bandwidth, 2 · multiply-adds / peak) per step, and \
            measured_over_predicted.
            """)

    enum Model: String, CaseIterable, ExpressibleByArgument {
        case retnet, transformer
    }

    @Option(parsing: .singleValue, help: "A model; repeat the option for both (default: both).")
    var model: [Model] = Model.allCases

    @Option(help: "Context lengths of the latency sweep at batch 1, comma-separated (each 0...65536; empty: none).")
    var contexts = "128,512,2048,8192"

    @Option(help: "Batch sizes of the throughput sweep, comma-separated (each 1...256; empty: none).")
    var batches = "1,2,4,8,16"

    @Option(help: "The context of the throughput sweep (0...65536).")
    var batchContext = 1024

    @Option(help: "Timed decoding steps per case (1...4096).")
    var steps = 16

    @Option(help: "Layers L (1...64).")
    var layers = 6
    @Option(help: "Model width E (2...8192).")
    var embedDim = 512
    @Option(help: "Value width V of a layer's heads (1...16384).")
    var valueDim = 1024
    @Option(help: "Heads h (dividing E and V, E/h even).")
    var heads = 4
    @Option(help: "The RetNet's FFN width F (1...65536).")
    var ffnDim = 1024
    @Option(help: "The Transformer's FFN width (default: parameter-matched to the RetNet's).")
    var transformerFfnDim: Int?
    @Option(help: "Vocabulary size (1...1048576).")
    var vocab = 256
    @Option(help: "paper (LayerNorm, plain FFN) or torchscale (RMSNorm, GLU FFN), for both models.")
    var variant: Variant = .torchscale

    @Option(help: "Read bandwidth in GB/s for the prediction (default: measured at the start).")
    var bandwidthGbps: Double?
    @Option(help: "FMA peak in GFLOP/s for the prediction (default: measured at the start).")
    var peakGflops: Double?

    @OptionGroup var threads: ThreadOptions
    @OptionGroup var input: SeedOptions

    /// The configuration variant, by its flag name.
    enum Variant: String, CaseIterable, ExpressibleByArgument {
        case paper, torchscale
    }

    func validate() throws {
        for n in try list(contexts, "--contexts") { try requireSize(n, in: 0...65_536, "--contexts") }
        for b in try list(batches, "--batches") { try requireSize(b, in: 1...256, "--batches") }
        try requireSize(batchContext, in: 0...65_536, "--batch-context")
        try requireSize(steps, in: 1...4096, "--steps")
        try requireSize(layers, in: 1...64, "--layers")
        try requireSize(embedDim, in: 2...8192, "--embed-dim")
        try requireSize(valueDim, in: 1...16_384, "--value-dim")
        try requireSize(ffnDim, in: 1...65_536, "--ffn-dim")
        if let transformerFfnDim { try requireSize(transformerFfnDim, in: 1...65_536, "--transformer-ffn-dim") }
        try requireSize(vocab, in: 1...1_048_576, "--vocab")
        guard heads >= 1, embedDim % heads == 0, valueDim % heads == 0, (embedDim / heads) % 2 == 0 else {
            throw ValidationError("--heads must divide --embed-dim and --value-dim with an even E/h, got \(heads) "
                                  + "(E = \(embedDim), V = \(valueDim)).")
        }
        for (name, value) in [("--bandwidth-gbps", bandwidthGbps), ("--peak-gflops", peakGflops)] {
            if let value, !(value > 0 && value.isFinite) {
                throw ValidationError("\(name) must be a positive number, got \(value).")
            }
        }
    }

    /// The comma-separated whole numbers of an option (an empty string: none).
    func list(_ text: String, _ option: String) throws -> [Int] {
        try text.split(separator: ",", omittingEmptySubsequences: false).filter { _ in !text.isEmpty }.map { part in
            guard let value = Int(part.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("\(option) must be comma-separated whole numbers, got '\(text)'.")
            }
            return value
        }
    }

    func measure(report: (BenchmarkResult) throws -> Void) throws {
        let threads = threads.threads
        let retnetConfig = RetNetConfig(variant: variant == .paper ? .paper : .torchscale, embedDim: embedDim,
                                        valueEmbedDim: valueDim, retentionHeads: heads, ffnEmbedDim: ffnDim, layers: layers,
                                        vocabSize: vocab, activationFn: .gelu)
        let transformerConfig = TransformerConfig(matching: retnetConfig, ffnEmbedDim: transformerFfnDim)
        progress("measuring the read bandwidth and the FMA peak on \(threads) thread(s)")
        let bandwidth = try bandwidthGbps.map { $0 * 1e9 } ?? ReadBandwidth.measure(threads: threads)
        let peak = try peakGflops.map { $0 * 1e9 } ?? FMAPeak.measure(threads: threads)
        let cases = try list(contexts, "--contexts").map { (sweep: "context", context: $0, batch: 1) }
            + list(batches, "--batches").map { (sweep: "batch", context: batchContext, batch: $0) }
        for model in model {
            progress("\(model.rawValue): making the model")
            let decoding: any DecodingCase = switch model {
            case .retnet: try RetNetDecoding(config: retnetConfig, threads: threads, seed: UInt64(input.seed))
            case .transformer: try TransformerDecoding(config: transformerConfig, threads: threads, seed: UInt64(input.seed))
            }
            for item in cases {
                progress("\(model.rawValue): \(item.sweep) sweep, context \(item.context), batch \(item.batch), \(steps) steps")
                var rng = SplitMix64(seed: UInt64(input.seed) &+ 1)
                let prompt = (0..<item.context).map { _ in Int(rng.next() % UInt64(vocab)) }
                let next = (0...steps).map { _ in (0..<item.batch).map { _ in Int(rng.next() % UInt64(vocab)) } }
                let step = try decoding.decoder(prompt: prompt, batch: item.batch, room: steps + 1)
                try step(next[0])  // untimed: copies of the prefilled state, first-touch pages
                var times: [Double] = []
                for i in 1...steps { times.append(try Stopwatch.seconds { try step(next[i]) }) }
                let seconds = Stopwatch.median(of: times)
                let cost = try decoding.cost(context: item.context, batch: item.batch)
                // Time is bytes moved (read + written back) over the bandwidth, as in chapter 09.
                let predicted = Swift.max(Double(cost.bytesMovedPerStep) / bandwidth,
                                          2 * Double(cost.multiplyAddsPerToken * item.batch) / peak)
                let parameters: [String: Parameter] = [
                    "model": .text(model.rawValue), "sweep": .text(item.sweep), "context": .integer(item.context),
                    "batch": .integer(item.batch), "layers": .integer(layers), "embed_dim": .integer(embedDim),
                    "value_dim": .integer(valueDim), "heads": .integer(heads), "ffn_dim": .integer(decoding.ffnDim),
                    "vocab": .integer(vocab), "variant": .text(variant.rawValue), "seed": .integer(input.seed),
                    "bytes_per_step": .integer(cost.bytesMovedPerStep), "bytes_read_per_step": .integer(cost.bytesReadPerStep),
                    "bytes_written_per_step": .integer(item.batch * cost.stateBytesWritten),
                    "multiply_adds_per_step": .integer(cost.multiplyAddsPerToken * item.batch),
                    "state_bytes": .integer(cost.stateBytes), "read_bandwidth": .number(bandwidth), "peak_flops": .number(peak),
                    "predicted_seconds": .number(predicted), "measured_over_predicted": .number(seconds / predicted),
                ]
                try report(BenchmarkResult(benchmark: "decode", parameters: parameters, threads: threads, repetitions: steps,
                                           medianSeconds: seconds, tokens: item.batch))
            }
        }
    }
}

/// One model in `bench decode`: its fast form, a decoder for a batch after a prompt, its cost.
protocol DecodingCase {
    /// The FFN width of this model.
    var ffnDim: Int { get }
    /// A step function advancing `batch` copies of the sequence after `prompt` by one token
    /// each; room for `room` more tokens.
    func decoder(prompt: [Int], batch: Int, room: Int) throws -> ([Int]) throws -> Void
    /// `DecodingCost` at context n, batch B, Float.
    func cost(context: Int, batch: Int) throws -> DecodingCost
}

struct RetNetDecoding: DecodingCase {
    let config: RetNetConfig
    let model: FastRetNet

    init(config: RetNetConfig, threads: Int, seed: UInt64) throws {
        self.config = config
        model = try FastRetNet(try RetNet<Float>.random(config: config, seed: seed), threads: threads)
    }

    var ffnDim: Int { config.ffnEmbedDim }

    func decoder(prompt: [Int], batch: Int, room: Int) throws -> ([Int]) throws -> Void {
        let state = try model.forward(prompt, form: .chunkwise(chunkSize: 256)).state
        let decoder = try FastRetNet.BatchDecoder(model, states: Array(repeating: state, count: batch))
        return { tokens in
            try decoder.step(tokens)
            blackHole(decoder.logits[0])
        }
    }

    func cost(context: Int, batch: Int) throws -> DecodingCost {
        try DecodingCost.retnet(config, context: context, batch: batch, elementBytes: 4)
    }
}

struct TransformerDecoding: DecodingCase {
    let config: TransformerConfig
    let model: FastTransformer

    init(config: TransformerConfig, threads: Int, seed: UInt64) throws {
        self.config = config
        model = try FastTransformer(try Transformer<Float>.random(config: config, seed: seed), threads: threads)
    }

    var ffnDim: Int { config.ffnEmbedDim }

    func decoder(prompt: [Int], batch: Int, room: Int) throws -> ([Int]) throws -> Void {
        var cache = try model.emptyCache(capacity: prompt.count + room)
        _ = try model.prefill(prompt, cache: &cache)
        let decoder = try FastTransformer.Decoder(model, caches: Array(repeating: cache, count: batch))
        return { tokens in
            try decoder.step(tokens)
            blackHole(decoder.logits[0])
        }
    }

    func cost(context: Int, batch: Int) throws -> DecodingCost {
        try DecodingCost.transformer(config, context: context, batch: batch, elementBytes: 4)
    }
}
