import DecodingCosts
import FastRetNet
import FastTransformer
import Foundation
import Matrices
import Measuring
import MultiScaleRetention
import Notebook
import Plots
import RetNetModel
import Retention
import Transformer

/// `chapter09 --measure`: both fast Float decoders of one shape, timed against the context at
/// batch 1 and against the batch at one context, printed to the terminal and drawn into
/// Figures/decode-latency-measured.svg and Figures/decode-throughput-measured.svg beside what the
/// byte and multiply–add counts predict from this machine's measured read bandwidth and FMA peak.
///
/// A batch of M runs as one batch decoder per model (`FastRetNet.BatchDecoder`,
/// `FastTransformer.Decoder`): a step reads each weight once for all M sequences, and each
/// sequence's own state or cache.
///
/// The state and cache a step starts from hold pseudo-random numbers of the right shape at the
/// right position: a step's time does not depend on their values, and prefilling 8,192 tokens
/// first would take longer than all the timings.
enum DecodeMeasurement {
    static let contexts = [128, 256, 512, 1_024, 2_048, 4_096, 8_192]
    static let batches = [1, 2, 4, 8, 16]

    /// One model's way of decoding a batch: a closure that advances every sequence by one token.
    typealias Round = () throws -> Void

    static func run(_ nb: Notebook, shape: RetNetConfig, threads: Int, batchContext: Int, seed: UInt64) throws {
        let rounds = 9
        let cpu = Machine.cpuName(), date = Machine.today(), load = Machine.loadAverage()
        let bandwidth = readBandwidth()
        let peak = try FMAPeak.measure(threads: 1)
        nb.say("\(cpu), \(date), \(load): read bandwidth \(Format.fixed(bandwidth / 1e9, 1)) GB/s (one thread, fastest of 5 passes "
               + "over 512 MiB), FMA peak \(Format.fixed(peak / 1e9, 1)) GFLOP/s (one thread)")
        let retnet = try FastRetNet(try RetNet<Float>.random(config: shape, seed: seed), threads: threads)
        let transformerConfig = TransformerConfig(matching: shape)
        let transformer = try FastTransformer(try Transformer<Float>.random(config: transformerConfig, seed: seed), threads: threads)
        var rng = SplitMix64(seed: seed &+ 3)

        /// The time a memory- or compute-bound step of `cost` takes here: the larger of its bytes
        /// over the bandwidth and its flops over the peak.
        func predicted(_ cost: DecodingCost) -> Double {
            max(Double(cost.bytesMovedPerStep) / bandwidth, 2 * Double(cost.multiplyAddsPerToken * cost.batch) / peak)
        }

        // Latency against the context, batch 1.
        var latency: [(n: Int, retnet: Double, transformer: Double, retnetModel: Double, transformerModel: Double)] = []
        for n in contexts {
            let (r, t) = try seconds(decoders(.retnet, retnet, transformer, context: n, batch: 1, rounds: rounds, using: &rng),
                                     decoders(.transformer, retnet, transformer, context: n, batch: 1, rounds: rounds, using: &rng),
                                     rounds: rounds)
            latency.append((n, r, t, predicted(try DecodingCost.retnet(shape, context: n, batch: 1, elementBytes: 4)),
                            predicted(try DecodingCost.transformer(transformerConfig, context: n, batch: 1, elementBytes: 4))))
        }
        nb.measuredTable(["context n", "RetNet ms/token", "model", "Transformer ms/token", "model", "Transformer / RetNet"],
                         latency.map { row in
                             [Format.grouped(row.n), Format.fixed(row.retnet * 1e3, 3), Format.fixed(row.retnetModel * 1e3, 3),
                              Format.fixed(row.transformer * 1e3, 3), Format.fixed(row.transformerModel * 1e3, 3),
                              Format.fixed(row.transformer / row.retnet, 2) + "×"]
                         }, onPage: "")
        func range(_ ratios: [Double]) -> String {
            "\(Format.fixed(ratios.min() ?? 0, 2))–\(Format.fixed(ratios.max() ?? 0, 2))×"
        }
        nb.say("measured / model over the contexts: RetNet \(range(latency.map { $0.retnet / $0.retnetModel })), "
               + "Transformer \(range(latency.map { $0.transformer / $0.transformerModel })) (the model is the floor at the "
               + "bandwidth measured first; below 1, that measurement was slowed by other work more than the steps were)")
        if let first = latency.first(where: { $0.n == 512 }), let last = latency.last {
            nb.say("RetNet time at \(Format.grouped(last.n)) / at 512: \(Format.fixed(last.retnet / first.retnet, 2))×; "
                   + "Transformer / RetNet at \(Format.grouped(last.n)): \(Format.fixed(last.transformer / last.retnet, 2))× "
                   + "(model \(Format.fixed(last.transformerModel / last.retnetModel, 2))×)")
        }

        // Tokens per second against the batch, at one context.
        var throughput: [(b: Int, retnet: Double, transformer: Double)] = []
        for b in batches {
            let (r, t) = try seconds(decoders(.retnet, retnet, transformer, context: batchContext, batch: b, rounds: rounds, using: &rng),
                                     decoders(.transformer, retnet, transformer, context: batchContext, batch: b, rounds: rounds, using: &rng),
                                     rounds: rounds)
            throughput.append((b, Double(b) / r, Double(b) / t))
        }
        func model(_ kind: MemoryBoundDecoding.Model, batch b: Int) throws -> Double {
            let shared = kind == .retnet ? try DecodingCost.retnet(shape, context: batchContext, batch: b, elementBytes: 4)
                : try DecodingCost.transformer(transformerConfig, context: batchContext, batch: b, elementBytes: 4)
            return Double(b) / predicted(shared)
        }
        try nb.measuredTable(["batch M", "RetNet tokens/s", "model", "Transformer tokens/s", "model",
                          "RetNet / Transformer"],
                         try throughput.map { row in
                             [String(row.b), Format.fixed(row.retnet, 1), Format.fixed(try model(.retnet, batch: row.b), 1),
                              Format.fixed(row.transformer, 1), Format.fixed(try model(.transformer, batch: row.b), 1),
                              Format.fixed(row.retnet / row.transformer, 2) + "×"]
                         }, onPage: "")

        // The figures, with the machine and the date in their captions.
        let caption = "Measured on \(cpu), \(date) (\(load) when it started), release build, Float, the benchmark shape (L = 6, E = 512, V = 1024, "
            + "h = 4, FFN 1024, vocabulary 256); both on \(threads) thread(s); medians of \(rounds) steps, "
            + "the two models alternating, from a state or cache of pseudo-random numbers at the context's position. "
            + "Model: max(bytes moved (read + written) / \(Format.fixed(bandwidth / 1e9, 1)) GB/s, flops / \(Format.fixed(peak / 1e9, 1)) GFLOP/s), "
            + "both measured here on one thread. `swift run -c release chapter09 --measure`."
        let colors = (retnet: "#2171b5", transformer: "#cb181d")
        let times = latency.flatMap { [$0.retnet, $0.transformer, $0.retnetModel, $0.transformerModel] }
        let latencyPlot = LinePlot(
            title: "Per-token decode latency against the context, batch 1 (measured, and modelled dashed)",
            x: try Axis("context n (tokens)", range: 100...10_000, scale: .logarithmic),
            y: try Axis("ms per token", range: span(times.map { $0 * 1e3 }), scale: .logarithmic),
            series: [
                .init("RetNet, measured", points: latency.map { (Double($0.n), $0.retnet * 1e3) }, color: colors.retnet),
                .init("Transformer, measured", points: latency.map { (Double($0.n), $0.transformer * 1e3) }, color: colors.transformer),
                .init("RetNet, model", points: latency.map { (Double($0.n), $0.retnetModel * 1e3) }, color: colors.retnet, dashed: true),
                .init("Transformer, model", points: latency.map { (Double($0.n), $0.transformerModel * 1e3) },
                      color: colors.transformer, dashed: true),
            ], caption: caption)
        var rates = throughput.flatMap { [$0.retnet, $0.transformer] }
        var modelled: [(kind: MemoryBoundDecoding.Model, points: [(x: Double, y: Double)])] = []
        for kind in MemoryBoundDecoding.Model.allCases {
            let points = try batches.map { b in (x: Double(b), y: try model(kind, batch: b)) }
            modelled.append((kind, points))
            rates += points.map(\.y)
        }
        let throughputPlot = LinePlot(
            title: "Tokens per second against the batch at \(Format.grouped(batchContext)) tokens of context",
            x: try Axis("batch M", range: 1...16, scale: .logarithmic),
            y: try Axis("tokens per second", range: span(rates), scale: .logarithmic),
            series: [
                .init("RetNet, measured", points: throughput.map { (Double($0.b), $0.retnet) }, color: colors.retnet),
                .init("Transformer, measured", points: throughput.map { (Double($0.b), $0.transformer) }, color: colors.transformer),
            ] + modelled.flatMap { m in
                let color = m.kind == .retnet ? colors.retnet : colors.transformer
                return [LinePlot.Series("\(m.kind.rawValue), model", points: m.points, color: color, dashed: true)]
            },
            caption: caption + " A step of a batch reads the weights once for all M sequences, and each sequence's own state or cache.")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for (name, plot) in [("decode-latency-measured", latencyPlot), ("decode-throughput-measured", throughputPlot)] {
            let path = root.appendingPathComponent("Figures/\(name).svg")
            try Data(try plot.svg(width: 900, height: 440).utf8).write(to: path)
            nb.say("wrote Figures/\(name).svg")
        }
    }

    /// A batch decoder of one kind for M sequences at context n, ready to step: a closure
    /// advancing every sequence by one token. Each step reads the weights once for all M rows
    /// (`FastRetNet.BatchDecoder`, `FastTransformer.Decoder`); the caches have room for the
    /// untimed and timed rounds after position n.
    static func decoders(_ kind: MemoryBoundDecoding.Model, _ retnet: FastRetNet, _ transformer: FastTransformer, context n: Int,
                         batch: Int, rounds: Int, using rng: inout SplitMix64) throws -> Round {
        let vocabulary = retnet.config.vocabSize
        var token = 0
        func tokens() -> [Int] {
            defer { token = (token + 1) % vocabulary }
            return (0..<batch).map { (token + $0) % vocabulary }
        }
        switch kind {
        case .retnet:
            let layers = retnet.config.layers, heads = retnet.config.retentionHeads
            let (dk, dv) = (retnet.config.keyDim, retnet.config.headDim)
            let state = RetNetState<Float>(layers: (0..<layers).map { _ in
                MultiScaleRetentionState(heads: (0..<heads).map { _ in
                    RetentionState(s: Matrix(rows: dk, columns: dv, entries: (0..<dk * dv).map { _ in Float(rng.nextUnit() - 0.5) }),
                                   position: n)
                })
            })
            let decoder = try FastRetNet.BatchDecoder(retnet, states: Array(repeating: FastRetNetState(state), count: batch))
            return { try decoder.step(tokens()) }
        case .transformer:
            let config = transformer.config
            func rows(_ width: Int) -> Matrix<Float> {
                Matrix(rows: n, columns: width, entries: (0..<n * width).map { _ in Float(rng.nextUnit() - 0.5) })
            }
            let reference = TransformerCache(layers: (0..<config.layers).map { _ in
                AttentionCache(keys: (0..<config.heads).map { _ in rows(config.keyDim) },
                               values: (0..<config.heads).map { _ in rows(config.headDim) })
            })
            // M copies of one cache: each becomes its own on its first step (copy on write).
            let cache = try FastKVCache(reference, capacity: n + rounds + 1)
            let decoder = try FastTransformer.Decoder(transformer, caches: Array(repeating: cache, count: batch))
            return { try decoder.step(tokens()) }
        }
    }

    /// The median seconds of a RetNet round and of a Transformer round, timed alternately so that
    /// whatever else the machine does falls on both alike; one untimed round of each first (it
    /// makes the copies of a shared cache and brings the weights in).
    static func seconds(_ retnet: Round, _ transformer: Round, rounds: Int) throws -> (Double, Double) {
        try retnet()
        try transformer()
        var times: [(Double, Double)] = []
        for _ in 0..<rounds {
            times.append((try Stopwatch.seconds(retnet), try Stopwatch.seconds(transformer)))
        }
        return (Stopwatch.median(of: times.map(\.0)), Stopwatch.median(of: times.map(\.1)))
    }

    /// Bytes per second one thread reads: the fastest of 5 sums over 512 MiB of floats (a
    /// ceiling, like the FMA peak: a slower pass is one that something else slowed).
    static func readBandwidth() -> Double {
        let count = 128 << 20
        let buffer = [Float](repeating: 1, count: count)
        var total: Float = 0
        let seconds = (0..<5).map { _ in Stopwatch.seconds {
            buffer.withUnsafeBufferPointer { p in
                var (a, b, c, d) = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
                var i = 0
                while i + 64 <= count {
                    let row = UnsafeRawPointer(p.baseAddress! + i)
                    a += row.loadUnaligned(as: SIMD16<Float>.self)
                    b += row.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
                    c += row.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self)
                    d += row.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self)
                    i += 64
                }
                total += (a + b + c + d).sum()
            }
        } }.min() ?? 1
        blackHole(total)
        return Double(count * MemoryLayout<Float>.size) / seconds
    }

    /// The smallest and largest of `values`, widened to whole powers of ten (for a log axis).
    static func span(_ values: [Double]) -> ClosedRange<Double> {
        let positive = values.filter { $0 > 0 && $0.isFinite }
        let low = positive.min() ?? 1, high = positive.max() ?? 10
        return Double.pow(10, Double.log10(low).rounded(.down))...Double.pow(10, max(Double.log10(high).rounded(.up),
                                                                                   Double.log10(low).rounded(.down) + 1))
    }
}
