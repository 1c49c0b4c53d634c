import ArgumentParser
import Benchmarks
import Kernels
import Matrices
import Measuring

/// `bench gemm`: C = A B for n×n Float matrices on rungs of the GEMM ladder.
struct GEMMBenchmark: Benchmark {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "C = A B for n×n Float matrices on a rung of the GEMM ladder; gflops counts 2n³ flops per product.",
        discussion: """
            Parameters: rung, size, seed, and for the packed rungs the register tile and block sizes (tile, kc, nc, mc). \
            threads is the --threads given for the threaded rung and 1 for the others.
            """)

    @Option(help: "n: A, B and C are n×n (1...8192).")
    var size = 1024

    @Option(parsing: .singleValue,
            help: "A rung of the ladder; repeat the option for several, one result each.")
    var rung: [GEMM.Rung] = [.threaded]

    @Option(help: "The threaded rung's register tile (6x16 or 12x32; default: this machine's, \(RegisterTile.selected.rawValue) here).")
    var tile: RegisterTile?

    @Option(help: "k_c, terms per packed block (default: derived from this machine's caches).")
    var kc: Int?

    @Option(help: "n_c, columns per packed panel of B (default: derived from the caches).")
    var nc: Int?

    @Option(help: "m_c, rows per packed block of A (default: derived from the caches).")
    var mc: Int?

    @OptionGroup var threads: ThreadOptions
    @OptionGroup var timing: RepetitionOptions
    @OptionGroup var input: SeedOptions

    func validate() throws {
        try requireSize(size, in: 1...8192, "--size")
        for (value, option) in [(kc, "--kc"), (nc, "--nc"), (mc, "--mc")] {
            if let value { try requireSize(value, in: 1...1 << 20, option) }
        }
    }

    /// The blocking `rung` runs with: the rung's own on this machine (for `threaded`, the tile
    /// --tile names), with any block size the options override.
    func blocking(for rung: GEMM.Rung) -> GEMMBlocking? {
        guard let own = rung == .threaded ? tile.map(GEMMBlocking.forThisMachine(tile:)) ?? rung.blocking : rung.blocking
        else { return nil }
        return GEMMBlocking(tile: own.tile, depth: kc ?? own.depth, columns: nc ?? own.columns, rows: mc ?? own.rows)
    }

    func measure(report: (BenchmarkResult) throws -> Void) throws {
        var rng = input.generator
        let a = (0..<size * size).map { _ in Float(rng.nextGaussian()) }
        let b = (0..<size * size).map { _ in Float(rng.nextGaussian()) }
        var c = [Float](repeating: 0, count: size * size)
        for rung in rung {
            let threads = rung == .threaded ? threads.threads : 1
            progress("\(rung.rawValue), \(size)×\(size)×\(size), \(threads) thread(s), \(timing.repetitions) runs")
            let blocking = blocking(for: rung)
            let seconds = try median(repetitions: timing.repetitions) {
                if let blocking {
                    try GEMM.multiply(rung, a, b, into: &c, m: size, n: size, k: size, threads: threads, blocking: blocking)
                } else {
                    try GEMM.multiply(rung, a, b, into: &c, m: size, n: size, k: size, threads: threads)
                }
            }
            blackHole(c)
            var parameters: [String: Parameter] = ["rung": .text(rung.rawValue), "size": .integer(size), "seed": .integer(input.seed)]
            if let blocking {
                parameters["tile"] = .text(blocking.tile.rawValue)
                parameters["kc"] = .integer(blocking.depth)
                parameters["nc"] = .integer(blocking.columns)
                parameters["mc"] = .integer(blocking.rows)
            }
            try report(BenchmarkResult(
                benchmark: "gemm", parameters: parameters,
                threads: threads, repetitions: timing.repetitions, medianSeconds: seconds,
                flops: GEMM.flops(m: size, n: size, k: size)))
        }
    }
}

extension GEMM.Rung: ExpressibleByArgument {}
extension RegisterTile: ExpressibleByArgument {}
