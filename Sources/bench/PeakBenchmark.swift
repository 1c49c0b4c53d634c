import ArgumentParser
import Benchmarks
import Measuring

/// `bench peak`: the FMA peak, independent SIMD16 fused multiply–add chains on every thread.
struct PeakBenchmark: Benchmark {
    static let configuration = CommandConfiguration(
        commandName: "peak",
        abstract: "The FMA peak: six independent SIMD16 fused multiply–add chains on every thread at once.",
        discussion: """
            One run lasts about 20 ms (its step count is calibrated first, on one thread); gflops is the \
            median run's rate, the ceiling no kernel here can pass. Parameters: steps (per thread and run).
            """)

    @OptionGroup var threads: ThreadOptions
    @OptionGroup var timing: RepetitionOptions

    func measure(report: (BenchmarkResult) throws -> Void) throws {
        let steps = FMAPeak.steps(lasting: 0.02)
        let threads = threads.threads
        progress("\(steps) steps on \(threads) thread(s), \(timing.repetitions) runs")
        let seconds = try median(repetitions: timing.repetitions) { try FMAPeak.run(steps: steps, threads: threads) }
        try report(BenchmarkResult(
            benchmark: "peak", parameters: ["steps": .integer(steps)], threads: threads,
            repetitions: timing.repetitions, medianSeconds: seconds, flops: FMAPeak.flops(steps: steps, threads: threads)))
    }
}
