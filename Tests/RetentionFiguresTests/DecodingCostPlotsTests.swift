import Foundation
import RetentionFigures
import TestSupport
import Testing

/// The modelled decoding-cost plots of chapter 09: the committed files are what the code draws,
/// and `swift run figures` writes them but never the measured plots that `chapter09 --measure`
/// writes (those are timings on one machine, which CI must not compare).
@Suite struct DecodingCostPlotsTests {
    @Test func theCommittedCostPlotsAreWhatTheCodeDraws() throws {
        let plots = try DecodingCostPlots.all()
        #expect(plots.map(\.name) == ["decode-memory", "decode-bytes-per-token", "decode-throughput-batch", "decode-roofline"])
        for plot in plots {
            let committed = try String(contentsOf: PackagePaths.url("Figures/\(plot.name).svg"), encoding: .utf8)
            #expect(plot.svg == committed, "Figures/\(plot.name).svg is stale: run `swift run figures` and commit")
        }
    }

    @Test func theCaptionsCarryTheCountedNumbers() throws {
        let memory = try DecodingCostPlots.memory().svg
        // The paper's Transformer (V = E): 16·256·512/(4096 + 4096) = 256, so n* = 257; the benchmark's matched one: 86.
        #expect(memory.contains("6.7B KV cache (n* = 257)") && memory.contains("benchmark KV cache (n* = 86)"))
        let throughput = try DecodingCostPlots.throughput().svg
        // 80 GB − 13.4 GB of weights leave room for 15 caches of 4.29 GB, 496 states of 134 MB.
        #expect(throughput.contains("Transformer (up to M = 15)") && throughput.contains("RetNet (up to M = 496)"))
    }

    @Test func figuresDoesNotWriteTheMeasuredPlots() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("figures-measured-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try ProductRunner.run("figures", ["--output", dir, "--format", "svg"])
        #expect(run.status == 0, "\(run.stderr)")
        let written = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(written.contains("decode-memory.svg"))
        #expect(!written.contains { $0.contains("measured") }, "\(written)")
    }
}
