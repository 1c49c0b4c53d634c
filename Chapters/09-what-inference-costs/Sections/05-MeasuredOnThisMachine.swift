import ChapterSupport
import DecodingCosts
import Matrices
import Notebook
import RetNetModel
import Transformer

/// A dated record of one `chapter09 --measure` run: per-token latency at batch 1 of the fast
/// Float decoders of the benchmark shape, read from the committed
/// `Figures/decode-latency-measured.svg` (the milliseconds of its two measured lines, to the
/// figure's 0.01-pixel resolution: ±0.02%).
struct DecodeRecord {
    let date: String
    let machine: String
    let load: String
    let threads: Int
    /// (context n, RetNet ms per token, Transformer ms per token).
    let latency: [(n: Int, retnet: Double, transformer: Double)]
    /// The context of the comparison with the counts.
    let context = 8_192

    /// The Transformer's time over the RetNet's at `context`.
    var ratio: Double {
        latency.first { $0.n == context }.map { $0.transformer / $0.retnet } ?? .nan
    }

    static let zen4 = DecodeRecord(
        date: "2026-12-01", machine: "AMD EPYC (Zen 4), 2 cores, release build", load: "load 2.1 on 2 cores when it started",
        threads: 2,
        latency: [(128, 3.444, 3.664), (256, 3.329, 3.565), (512, 3.399, 4.022), (1_024, 3.463, 4.499), (2_048, 3.119, 5.966),
                  (4_096, 3.526, 9.582), (8_192, 3.535, 14.582)])
}

extension Chapter09 {
    /// What a clock says: the dated record on the page (with the committed measured figures), and
    /// `--measure` (release builds, terminal only) to take a new one.
    func measuredOnThisMachine(_ nb: Notebook) throws {
        nb.section("Measured: a dated record")
        let record = DecodeRecord.zen4
        nb.prose("""
            Counting says what a step must move; a clock says what it takes. With
            `swift run -c release chapter09 --measure` the fast Float batch decoders (`FastRetNet.BatchDecoder`
            and `FastTransformer.Decoder`, each step one read of the weights for all M sequences) of
            the benchmark shape and its matched Transformer are timed at contexts 128 … 8,192 and
            batches 1 … 16, printed as tables and drawn into the two figures below beside what the
            counts predict from the measured read bandwidth and FMA peak. Timings differ from run to
            run and machine to machine, so what this page shows is a record: one run, on
            \(record.machine), \(record.date), \(record.load), both decoders on \(record.threads)
            threads. Its dashed "model" lines count bytes read only (the figures predate the
            write-back count); the table sets the measurement beside both counts.
            """)
        let bench = DecodingCost.benchmarkShape
        let benchTransformer = TransformerConfig(matching: bench)
        var rows: [[String]] = []
        for row in record.latency {
            let r = try DecodingCost.retnet(bench, context: row.n, batch: 1, elementBytes: 4)
            let t = try DecodingCost.transformer(benchTransformer, context: row.n, batch: 1, elementBytes: 4)
            rows.append([Format.grouped(row.n), Format.fixed(row.retnet, 2), Format.fixed(row.transformer, 2),
                         Format.ratio(row.transformer / row.retnet),
                         Format.ratio(Double(t.bytesReadPerStep) / Double(r.bytesReadPerStep)),
                         Format.ratio(Double(t.bytesMovedPerStep) / Double(r.bytesMovedPerStep))])
        }
        nb.table(["context n", "RetNet ms/token", "Transformer ms/token", "measured ratio", "counted: read", "counted: moved"], rows)
        nb.figure("Figures/decode-latency-measured.svg", caption: """
            Measured (\(record.date), \(record.machine)): per-token latency at batch 1 against the
            context, and the bytes-read model dashed. Written only by `swift run -c release chapter09 --measure`.
            """)
        nb.figure("Figures/decode-throughput-measured.svg", caption: """
            Measured (\(record.date), the same run): tokens per second against the batch at 1,024
            tokens of context. Below 8 sequences the RetNet's gain from batching follows the shared
            weights; the Transformer's is smaller, as its caches are not shared.
            """)
        if measure {
            try DecodeMeasurement.run(nb, shape: DecodingCost.benchmarkShape, threads: threads, batchContext: measureContext, seed: seed)
        } else {
            nb.measured("(not measured now: add --measure to a release build)",
                        onPage: "(a new measurement: with --measure, in a terminal)")
        }
    }
}
