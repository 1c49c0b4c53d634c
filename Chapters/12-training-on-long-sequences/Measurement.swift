import DecodingCosts
import FastTraining
import Foundation
import Matrices
import Measuring
import Notebook
import Plots
import RetNetModel
import Transformer

/// `chapter12 --measure`: one training step of each form timed at n = 256 … 16,384, batch 1,
/// printed to the terminal, drawn into Figures/training-throughput-measured.svg and
/// Figures/training-memory-measured.svg, and written as a dated record into benchmarks/.
///
/// Each (form, n) gets a gradient source of its own: a first call allocates its workspace and a
/// second call, timed, reuses it — except from n = 8,192 on, where the first call is timed (one
/// step there takes seconds, and allocation is a small part of it).
enum TrainingMeasurement {
    /// The longest n each form is timed at: the parallel and naive forms' scratch and work grow as n².
    static func longest(_ form: HeadForm) -> Int {
        switch form {
        case .retnetParallel, .transformerNaive: 4_096
        case .transformerTiled: 8_192
        case .retnetChunkwise: 16_384
        }
    }

    /// A step's wall-clock seconds, the process's CPU seconds over it (both threads' work: on a
    /// shared machine the steadier measure of what a step costs), and its head buffers.
    struct Point {
        let form: HeadForm, n: Int, seconds: Double, cpuSeconds: Double, mebibytes: Double
        var tokensPerSecond: Double { Double(n) / seconds }
    }

    /// The CPU time this process has used, in seconds.
    static func cpuTime() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    static func run(_ nb: Notebook, threads: Int, seed: UInt64) throws {
        let cpu = Machine.cpuName(), date = Machine.today(), load = Machine.loadAverage()
        let shape = Chapter12.scaleShape, b = Chapter12.scaleBlock
        let config = RetNetConfig(variant: .torchscale, embedDim: shape.embed, valueEmbedDim: shape.value,
                                  retentionHeads: shape.heads, ffnEmbedDim: 2 * shape.embed, layers: Chapter12.scaleLayers,
                                  vocabSize: 65, layernormEps: 1e-6, activationFn: .swish, noScaleEmbedding: true)
        let retnet = try RetNet<Float>.random(config: config, seed: seed)
        let transformer = try Transformer<Float>.random(config: TransformerConfig(matching: config), seed: seed)
        nb.say("\(cpu), \(date), \(load) at the start; release build, Float, \(threads) thread(s), batch 1, B = \(b)")
        var rng = SplitMix64(seed: seed &+ 5)
        var points: [Point] = []
        for n in Chapter12.scaleLengths {
            let sequence = [(0...n).map { _ in Int(rng.next() % 65) }]
            for form in HeadForm.allCases where n <= longest(form) {
                let clock = ContinuousClock()
                var elapsed = Duration.zero, cpuBefore = 0.0
                var size: WorkspaceSize?
                switch form {
                case .retnetParallel, .retnetChunkwise:
                    let fast = try FastGradients(threads: threads, form: form == .retnetParallel ? .parallel : .chunkwise(chunkSize: b))
                    if n < 8_192 { _ = try fast.lossAndGradients(retnet, sequences: sequence) }
                    cpuBefore = cpuTime()
                    elapsed = try clock.measure { _ = try fast.lossAndGradients(retnet, sequences: sequence) }
                    size = fast.lastWorkspace
                case .transformerNaive, .transformerTiled:
                    let fast = try FastTransformerGradients(threads: threads, form: form == .transformerNaive ? .naive : .tiled(blockSize: b))
                    if n < 8_192 { _ = try fast.lossAndGradients(transformer, sequences: sequence) }
                    cpuBefore = cpuTime()
                    elapsed = try clock.measure { _ = try fast.lossAndGradients(transformer, sequences: sequence) }
                    size = fast.lastWorkspace
                }
                let cpuSeconds = cpuTime() - cpuBefore
                let floats = (size?.keptByHeads.reduce(0, +) ?? 0) + (size?.headScratch.reduce(0, +) ?? 0)
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                points.append(Point(form: form, n: n, seconds: seconds, cpuSeconds: cpuSeconds, mebibytes: Double(floats) * 4 / 1_048_576))
                FileHandle.standardError.write(Data("  n = \(n), \(form.rawValue): \(Format.fixed(seconds, 3)) s\n".utf8))
            }
        }
        let headers = ["n", "form", "step (s)", "CPU (s)", "tokens/s", "head buffers (MiB)"]
        let rows = points.map { [Format.grouped($0.n), $0.form.rawValue, Format.fixed($0.seconds, 3), Format.fixed($0.cpuSeconds, 3),
                                 Format.fixed($0.tokensPerSecond, 1), Format.fixed($0.mebibytes, 1)] }
        nb.measuredTable(headers, rows, onPage: "")
        let endLoad = Machine.loadAverage()
        var summary: [String] = []
        func point(_ form: HeadForm, _ n: Int) -> Point? { points.first { $0.form == form && $0.n == n } }
        if let short = point(.retnetChunkwise, 512), let long = point(.retnetChunkwise, 8_192) {
            summary.append("RetNet chunkwise, time per token at n = 8,192 / at n = 512: wall "
                           + Format.fixed((long.seconds / 8_192) / (short.seconds / 512), 2) + "×, CPU "
                           + Format.fixed((long.cpuSeconds / 8_192) / (short.cpuSeconds / 512), 2) + "× (target ≤ 1.3×)")
        }
        if let chunkwise = point(.retnetChunkwise, 8_192), let tiled = point(.transformerTiled, 8_192) {
            summary.append("at n = 8,192 the Transformer's tiled step takes, against the RetNet's chunkwise step: wall "
                           + Format.fixed(tiled.seconds / chunkwise.seconds, 2) + "×, CPU "
                           + Format.fixed(tiled.cpuSeconds / chunkwise.cpuSeconds, 2) + "× (target ≥ 1.5×)")
        }
        summary.forEach { nb.say($0) }

        let caption = "Measured on \(cpu), \(date) (\(load) at the start, \(endLoad) at the end: the machine was shared), release build, "
            + "Float, \(threads) thread(s), batch 1; E = 256, V = 512, h = 4, \(Chapter12.scaleLayers) blocks, B = \(b) for chunks and tiles. "
            + "One training step (forward, backward, every gradient). `swift run -c release chapter12 --measure`."
        let colors: [HeadForm: (String, Bool)] = [.retnetParallel: ("#2171b5", true), .retnetChunkwise: ("#2171b5", false),
                                                  .transformerNaive: ("#cb181d", true), .transformerTiled: ("#cb181d", false)]
        func series(_ value: (Point) -> Double) -> [LinePlot.Series] {
            HeadForm.allCases.map { form in
                .init(form.rawValue, points: points.filter { $0.form == form }.map { (Double($0.n), value($0)) },
                      color: colors[form]!.0, dashed: colors[form]!.1)
            }
        }
        let x = try Axis("sequence length n (tokens)", range: 100...20_000, scale: .logarithmic)
        let throughput = LinePlot(title: "Training tokens per second against the sequence length, batch 1",
                                  x: x, y: try Axis("tokens per second", range: span(points.map(\.tokensPerSecond)), scale: .logarithmic),
                                  series: series(\.tokensPerSecond), caption: caption)
        let memory = LinePlot(title: "Head buffers of a training step (kept and scratch) against the sequence length",
                              x: x, y: try Axis("MiB", range: span(points.map(\.mebibytes)), scale: .logarithmic),
                              series: series(\.mebibytes), caption: caption)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for (name, plot) in [("training-throughput-measured", throughput), ("training-memory-measured", memory)] {
            try Data(try plot.svg(width: 900, height: 440).utf8).write(to: root.appendingPathComponent("Figures/\(name).svg"))
            nb.say("wrote Figures/\(name).svg")
        }

        // The dated record, beside the page.
        var record = "# Training steps against the sequence length, measured \(date)\n\n"
        record += "\(cpu); \(load) at the start, \(endLoad) at the end. Each step is timed once — the second call below "
            + "n = 8,192, the first (allocation included) from it — so ratios within this one run are what it supports, not "
            + "absolute speeds; `bench training` takes medians. Release build, Float, \(threads) thread(s), batch 1, "
            + "E = 256, V = 512, h = 4, \(Chapter12.scaleLayers) blocks, B = \(b). `swift run -c release chapter12 --measure`.\n\n"
        record += "| " + headers.joined(separator: " | ") + " |\n|" + String(repeating: "---|", count: headers.count) + "\n"
        record += rows.map { "| " + $0.joined(separator: " | ") + " |" }.joined(separator: "\n") + "\n\n"
        record += summary.map { "- \($0)\n" }.joined() + "\n"
        record += "The paper's Table 4 (8 Nvidia A100-80GB GPUs, n = 8,192, RetNet chunkwise with chunks of 512): memory (GB) and throughput "
            + "(words/s) of Trm, Trm+FlashAttn, RetNet:\n\n| size | Trm GB | Trm+FlashAttn GB | RetNet GB | Trm wps | Trm+FlashAttn wps | RetNet wps |\n"
            + "|---|---|---|---|---|---|---|\n"
        record += Chapter12.paperTable4.map { "| \($0.size) | " + ($0.memory + $0.throughput).map { String($0) }.joined(separator: " | ") + " |" }
            .joined(separator: "\n") + "\n"
        let slug = String(cpu.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }).split(separator: "-").joined(separator: "-")
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("benchmarks")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("\(date)-\(slug).md")
        try Data(record.utf8).write(to: file)
        nb.say("wrote benchmarks/\(file.lastPathComponent)")
    }

    /// The smallest and largest of `values`, widened to whole powers of ten (for a log axis).
    static func span(_ values: [Double]) -> ClosedRange<Double> {
        let positive = values.filter { $0 > 0 && $0.isFinite }
        let low = positive.min() ?? 1, high = positive.max() ?? 10
        return Double.pow(10, Double.log10(low).rounded(.down))...Double.pow(10, max(Double.log10(high).rounded(.up),
                                                                                   Double.log10(low).rounded(.down) + 1))
    }
}
