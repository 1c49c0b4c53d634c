import DecodingCosts
import Matrices
import Plots
import RetNetModel
import Transformer

/// The modelled plots of chapter 09: what decoding keeps and reads, counted by `DecodingCost` for
/// the benchmark shape (Float) and the paper's 6.7B model (fp16), and what that makes of
/// throughput on the paper's GPU. Nothing here is timed, so the files regenerate byte for byte.
public enum DecodingCostPlots {
    static let colors = (retnet: "#2171b5", transformer: "#cb181d", benchRetnet: "#6baed6", benchTransformer: "#fc9272")

    /// Contexts 1, 2, 4, … 65,536.
    static let contexts = (0...16).map { 1 << $0 }

    /// The four plots: memory, bytes per token, throughput against the batch, the roofline.
    public static func all() throws -> [DecayPlots.Plot] {
        [try memory(), try bytesPerToken(), try throughput(), try roofline()]
    }

    /// The flops a step does per byte it moves, against the batch, for the 6.7B RetNet and the
    /// paper's Transformer at n tokens: the operational intensity of a roofline, beside the A100's
    /// ridge (its flops per byte of bandwidth) and that of the CPU of chapter 09's dated record.
    public static func roofline(context n: Int = 8_192) throws -> DecayPlots.Plot {
        let model = try MemoryBoundDecoding.paper6_7B(context: n)
        let mixing = try DecodingCost.paper6_7B(context: n)
        let gpu = MemoryBoundDecoding.a100
        let weights = Double(MemoryBoundDecoding.paper6_7BParameters)
        func points(_ kind: MemoryBoundDecoding.Model) -> [(x: Double, y: Double)] {
            let perToken = 2 * (weights + Double(kind == .retnet ? mixing.retentionMultiplyAdds : mixing.attentionMultiplyAdds))
            let batches = Set((0...30).map { Int(Double.pow(2, Double($0) / 3).rounded()) }).sorted()
            return batches.map { b in (Double(b), Double(b) * perToken / model.bytesMoved(kind, batch: b)) }
        }
        let ridge = gpu.fp16Flops / gpu.bandwidth
        // Chapter 09's dated record: one thread's FMA peak over its read bandwidth (AMD EPYC, 2026-12-01).
        let cpu = 116.8e9 / 28.8e9
        let plot = LinePlot(
            title: "Flops per byte moved against the batch: 6.7B models at \(Format.grouped(n)) tokens (a roofline's x-axis)",
            x: try Axis("batch M (sequences per step)", range: 1...1_000, scale: .logarithmic),
            y: try Axis("flops per byte moved", range: 0.1...1_000, scale: .logarithmic),
            series: [
                .init("RetNet", points: points(.retnet), color: colors.retnet),
                .init("the paper's Transformer (V = E)", points: points(.transformer), color: colors.transformer),
                .init("A100 ridge: \(Format.fixed(ridge, 0)) flops/byte", points: [(1, ridge), (1_000, ridge)], color: "#636363",
                      dashed: true),
                .init("CPU of chapter 09's record: \(Format.fixed(cpu, 1)) flops/byte", points: [(1, cpu), (1_000, cpu)],
                      color: "#999999", dashed: true),
            ],
            caption: "2·(6.7·10⁹ + mixing multiply–adds) flops per token, M tokens per step, over the bytes a step moves "
                + "(weights once, each sequence's state read and written, or its cache read and one row written; fp16). Below "
                + "a machine's ridge (peak flops over bandwidth) a step waits on memory. Batching raises the RetNet's intensity "
                + "towards 2·(6.7·10⁹ + mixing)/(2·state) = \(Format.fixed(2 * (weights + Double(mixing.retentionMultiplyAdds)) / (2 * model.retentionStateBytes), 0)); "
                + "the Transformer's stops near \(Format.fixed(2 * (weights + Double(mixing.attentionMultiplyAdds)) / (model.kvCacheBytes + model.kvRowBytes), 1)), "
                + "its cache unshared. Ridges: the A100's data sheet (312 TFLOP/s, 2,039 GB/s); the CPU: 116.8 GFLOP/s and "
                + "28.8 GB/s measured on one thread (AMD EPYC, 2026-12-01).")
        return DecayPlots.Plot(name: "decode-roofline", svg: try plot.svg(width: 900, height: 440))
    }

    /// Bytes a sequence keeps against the context (log axes): the flat states and the growing caches.
    public static func memory() throws -> DecayPlots.Plot {
        let bench = DecodingCost.benchmarkShape
        let paperBreakEven = try DecodingCost.paper6_7B(context: 0).breakEvenContext
        let benchBreakEven = try DecodingCost.breakEvenContext(keyDim: bench.keyDim, valueDim: bench.headDim)
        func points(_ bytes: (Int) throws -> Double) rethrows -> [(x: Double, y: Double)] {
            try contexts.map { (Double($0), try bytes($0) / 1e6) }
        }
        let series: [LinePlot.Series] = [
            .init("6.7B KV cache (n* = \(paperBreakEven))",
                  points: try points { Double(try DecodingCost.paper6_7B(context: $0).kvCacheBytes) }, color: colors.transformer),
            .init("6.7B RetNet state",
                  points: try points { Double(try DecodingCost.paper6_7B(context: $0).retentionStateBytes) }, color: colors.retnet),
            .init("benchmark KV cache (n* = \(benchBreakEven))",
                  points: try points { Double(try MemoryBoundDecoding(bench, context: $0, elementBytes: 4).kvCacheBytes) },
                  color: colors.benchTransformer),
            .init("benchmark RetNet state",
                  points: try points { Double(try MemoryBoundDecoding(bench, context: $0, elementBytes: 4).retentionStateBytes) },
                  color: colors.benchRetnet),
        ]
        let plot = LinePlot(
            title: "What one sequence keeps between decoding steps",
            x: try Axis("context n (tokens)", range: 1...65_536, scale: .logarithmic),
            y: try Axis("MB per sequence", range: 0.01...100_000, scale: .logarithmic), series: series,
            caption: "The RetNet's state, L·h·d_k·d_v·s bytes, is the same at every n; the KV cache, L·n·(E + V_T)·s, grows "
                + "by one token's keys and values per step and passes the state at n* = ⌊h·d_k·d_v/(E + V_T)⌋ + 1. 6.7B: "
                + "L = 32, E = 4096, h = 16, fp16; the RetNet's V = 8192, the paper's Transformer's V_T = E = 4096 (standard "
                + "attention, Sec. 3.1). Benchmark shape: L = 6, E = 512, V = 1024, h = 4, Float, against the matched "
                + "Transformer (V_T = V). Counted by DecodingCost (chapter 09).")
        return DecayPlots.Plot(name: "decode-memory", svg: try plot.svg(width: 900, height: 440))
    }

    /// Bytes one decoded token moves at batch 1 against the context: weights plus state or cache
    /// read, plus what the step writes back (the RetNet's state, the Transformer's one row).
    public static func bytesPerToken() throws -> DecayPlots.Plot {
        let bench = DecodingCost.benchmarkShape
        func points(_ model: MemoryBoundDecoding.Model, _ decoding: (Int) throws -> MemoryBoundDecoding) rethrows
            -> [(x: Double, y: Double)]
        {
            try contexts.map { (Double($0), try decoding($0).bytesMoved(model, batch: 1) / 1e6) }
        }
        let paper = { (n: Int) throws in try MemoryBoundDecoding.paper6_7B(context: n) }
        let benchmark = { (n: Int) throws in try MemoryBoundDecoding(bench, context: n, elementBytes: 4) }
        let plot = LinePlot(
            title: "Bytes moved (read + written) per decoded token at batch 1",
            x: try Axis("context n (tokens)", range: 1...65_536, scale: .logarithmic),
            y: try Axis("MB moved per token", range: 10...100_000, scale: .logarithmic),
            series: [
                .init("6.7B Transformer", points: try points(.transformer, paper), color: colors.transformer),
                .init("6.7B RetNet", points: try points(.retnet, paper), color: colors.retnet),
                .init("benchmark Transformer", points: try points(.transformer, benchmark), color: colors.benchTransformer),
                .init("benchmark RetNet", points: try points(.retnet, benchmark), color: colors.benchRetnet),
            ],
            caption: "Every weight once (\(Format.fixed(try paper(0).weightBytes / 1e9, 1)) GB for 6.7·10⁹ fp16 weights; "
                + "\(Format.fixed(try benchmark(0).weightBytes / 1e6, 1)) MB for the benchmark shape) plus the sequence's state or "
                + "KV cache, read, and what the step writes back: the RetNet's whole state, the Transformer's one new row "
                + "(6.7B: the paper's Transformer, V_T = E; benchmark: the matched one). Decoding is memory-bound (about one multiply–add per element read), so a step lasts about these "
                + "bytes over the memory's bandwidth: at 2,039 GB/s (A100) the 6.7B weights alone take "
                + "\(Format.fixed(try paper(0).weightBytes / MemoryBoundDecoding.a100.bandwidth * 1e3, 1)) ms.")
        return DecayPlots.Plot(name: "decode-bytes-per-token", svg: try plot.svg(width: 900, height: 440))
    }

    /// The 6.7B models at 8,192 tokens on one A100-80GB: memory-bound tokens per second against the
    /// batch, each up to the largest batch that fits in 80 GB, and the compute bound.
    public static func throughput(context n: Int = 8_192) throws -> DecayPlots.Plot {
        let model = try MemoryBoundDecoding.paper6_7B(context: n)
        let gpu = MemoryBoundDecoding.a100
        let computeBound = gpu.fp16Flops / (2 * Double(MemoryBoundDecoding.paper6_7BParameters))
        func points(_ kind: MemoryBoundDecoding.Model) -> [(x: Double, y: Double)] {
            let largest = model.largestBatch(kind, fitting: gpu.memoryBytes)
            // Whole batches about 8 per doubling, and the largest that fits.
            let batches = Set((0...80).map { Int(Double.pow(2, Double($0) / 8).rounded()) }.filter { $0 <= largest } + [largest])
            return batches.sorted().map { (Double($0), model.tokensPerSecond(kind, batch: $0, bandwidth: gpu.bandwidth)) }
        }
        let largestTransformer = model.largestBatch(.transformer, fitting: gpu.memoryBytes)
        let plot = LinePlot(
            title: "6.7B models at \(Format.grouped(n)) tokens on one A100-80GB, memory-bound",
            x: try Axis("batch M (sequences per step)", range: 1...1_000, scale: .logarithmic),
            y: try Axis("tokens per second", range: 10...100_000, scale: .logarithmic),
            series: [
                .init("RetNet (up to M = \(model.largestBatch(.retnet, fitting: gpu.memoryBytes)))", points: points(.retnet),
                      color: colors.retnet),
                .init("Transformer (up to M = \(largestTransformer))", points: points(.transformer), color: colors.transformer),
                .init("compute bound (\(Format.fixed(gpu.fp16Flops / 1e12, 0)) TFLOP/s)", points: [(1, computeBound), (1_000, computeBound)], color: "#636363",
                      dashed: true),
            ],
            markers: [.init(x: Double(largestTransformer), label: "80 GB of KV caches")],
            caption: "M·bandwidth / (bytes moved per step): W = \(Format.fixed(model.weightBytes / 1e9, 1)) GB of weights read once "
                + "per step, then each sequence's state (\(Format.fixed(model.retentionStateBytes / 1e6, 0)) MB, read and written back) "
                + "or cache of the paper's Transformer, V_T = E (\(Format.fixed(model.kvCacheBytes / 1e9, 2)) GB at "
                + "\(Format.grouped(n)) tokens, read, plus one row written); 2,039 GB/s and 80 GB from the "
                + "A100's data sheet. Each curve ends at the largest batch whose weights and states fit in 80 GB. As M grows the "
                + "RetNet levels off at bandwidth/(2·state) = \(Format.grouped(Int(gpu.bandwidth / (2 * model.retentionStateBytes)))) "
                + "tokens/s, "
                + "below the compute bound of \(Format.grouped(Int(computeBound))) tokens/s (2·6.7·10⁹ flops per token).")
        return DecayPlots.Plot(name: "decode-throughput-batch", svg: try plot.svg(width: 900, height: 440))
    }
}
