import ArgumentParser
import Matrices
import Kernels
import Measuring

/// `swift run -c release bench …`: the speed of the SIMD kernels on this machine.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the SIMD kernels (release builds only: `swift run -c release bench gemm`).",
        subcommands: [GEMMBench.self, PeakBench.self])
}

/// Options every benchmark shares.
struct Repetitions: ParsableArguments {
    @Option(help: "Timed runs; the median is reported.")
    var repetitions = 7

    func validate() throws {
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be ≥ 1, got \(repetitions).") }
    }
}

struct GEMMBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "C = A B for n×n Float matrices; the last number printed is the median GFLOP/s.")

    @Option(help: "n: A, B and C are n×n.")
    var size = 1024

    @Option(help: "Threads (the threaded rung; other rungs use one).")
    var threads = 1

    @Option(help: "The rung: \(GEMM.Rung.allCases.map(\.rawValue).joined(separator: ", ")). Default: threaded.")
    var rung: GEMM.Rung = .threaded

    @Option(help: "Seed of the random inputs.")
    var seed: UInt64 = 1

    @OptionGroup var repetitions: Repetitions

    func validate() throws {
        guard size >= 1, size <= 8192 else { throw ValidationError("--size must be in 1...8192, got \(size).") }
        guard threads >= 1, threads <= 256 else { throw ValidationError("--threads must be in 1...256, got \(threads).") }
    }

    func run() throws {
        var rng = SplitMix64(seed: seed)
        let a = (0..<size * size).map { _ in Float(rng.nextGaussian()) }
        let b = (0..<size * size).map { _ in Float(rng.nextGaussian()) }
        var c = [Float](repeating: 0, count: size * size)
        try GEMM.multiply(rung, a, b, into: &c, m: size, n: size, k: size, threads: threads)  // warm-up
        let seconds = try Stopwatch.median(repetitions: repetitions.repetitions, budget: 0, maximum: repetitions.repetitions) {
            try GEMM.multiply(rung, a, b, into: &c, m: size, n: size, k: size, threads: threads)
        }
        let gflops = GEMM.flops(m: size, n: size, k: size) / seconds / 1e9
        print("gemm \(rung.rawValue) \(size)×\(size)×\(size), \(rung == .threaded ? threads : 1) thread(s):"
            + " median \(Format.fixed(seconds * 1e3, 3)) ms over \(repetitions.repetitions) runs, GFLOP/s \(Format.fixed(gflops, 1))")
    }
}

struct PeakBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peak",
        abstract: "The FMA peak: independent SIMD16 fused multiply–add chains; the last number is GFLOP/s.")

    @Option(help: "Threads running chains at once.")
    var threads = 1

    func validate() throws {
        guard threads >= 1, threads <= 256 else { throw ValidationError("--threads must be in 1...256, got \(threads).") }
    }

    func run() throws {
        let peak = try FMAPeak.measure(threads: threads)
        print("FMA peak, \(threads) thread(s): GFLOP/s \(Format.fixed(peak / 1e9, 1))")
    }
}

extension GEMM.Rung: ExpressibleByArgument {}

Bench.main()
