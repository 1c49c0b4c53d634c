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
        discussion: "Parameters: rung, size, seed. threads is the --threads given for the threaded rung and 1 for the others.")

    @Option(help: "n: A, B and C are n×n (1...8192).")
    var size = 1024

    @Option(parsing: .singleValue,
            help: "A rung of the ladder; repeat the option for several, one result each.")
    var rung: [GEMM.Rung] = [.threaded]

    @OptionGroup var threads: ThreadOptions
    @OptionGroup var timing: RepetitionOptions
    @OptionGroup var input: SeedOptions

    func validate() throws {
        try requireSize(size, in: 1...8192, "--size")
    }

    func measure(report: (BenchmarkResult) throws -> Void) throws {
        var rng = input.generator
        let a = (0..<size * size).map { _ in Float(rng.nextGaussian()) }
        let b = (0..<size * size).map { _ in Float(rng.nextGaussian()) }
        var c = [Float](repeating: 0, count: size * size)
        for rung in rung {
            let threads = rung == .threaded ? threads.threads : 1
            progress("\(rung.rawValue), \(size)×\(size)×\(size), \(threads) thread(s), \(timing.repetitions) runs")
            let seconds = try median(repetitions: timing.repetitions) {
                try GEMM.multiply(rung, a, b, into: &c, m: size, n: size, k: size, threads: threads)
            }
            blackHole(c)
            try report(BenchmarkResult(
                benchmark: "gemm", parameters: ["rung": .text(rung.rawValue), "size": .integer(size), "seed": .integer(input.seed)],
                threads: threads, repetitions: timing.repetitions, medianSeconds: seconds,
                flops: GEMM.flops(m: size, n: size, k: size)))
        }
    }
}

extension GEMM.Rung: ExpressibleByArgument {}
