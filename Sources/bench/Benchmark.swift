import ArgumentParser
import Benchmarks
import Foundation
import Matrices
import Measuring

/// A `bench` subcommand: measures its cases and reports each as soon as it is known, as one
/// JSON line on standard output. Conforming types implement `measure(report:)`; `run()` is
/// shared. To add a benchmark, write one such type in its own file and list it in `Bench`.
protocol Benchmark: ParsableCommand {
    /// Measures every case the options ask for, calling `report` with each result in turn.
    func measure(report: (BenchmarkResult) throws -> Void) throws
}

extension Benchmark {
    func run() throws {
        #if DEBUG
        progress("a debug build: its speeds say nothing about the code (build with -c release)")
        #endif
        // Written unbuffered: each line leaves as soon as it is measured, even into a pipe.
        try measure { result in FileHandle.standardOutput.write(Data((try result.json() + "\n").utf8)) }
    }

    /// The median seconds of `repetitions` timed runs of `body`, after one untimed run (which
    /// pays for first-touch page faults and lazy set-up).
    func median(repetitions: Int, _ body: () throws -> Void) throws -> Double {
        try body()
        return try Stopwatch.median(repetitions: repetitions, budget: 0, maximum: repetitions, body)
    }

    /// A line for the person waiting, on standard error (standard output carries only results).
    func progress(_ message: String) {
        FileHandle.standardError.write(Data("bench \(Self.configuration.commandName ?? ""): \(message)\n".utf8))
    }
}

/// How many timed runs each case gets; every benchmark has it.
struct RepetitionOptions: ParsableArguments {
    @Option(help: "Timed runs per case, after one untimed run; the median is reported (≥ 1).")
    var repetitions = 5

    func validate() throws {
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1, got \(repetitions).") }
    }
}

/// The seed of the benchmarks with random inputs.
struct SeedOptions: ParsableArguments {
    @Option(help: "Seed of the random inputs (≥ 0).")
    var seed = 1

    func validate() throws {
        guard seed >= 0 else { throw ValidationError("--seed must be at least 0, got \(seed).") }
    }

    /// A generator seeded with `seed`.
    var generator: SplitMix64 { SplitMix64(seed: UInt64(seed)) }
}

/// The thread count of the benchmarks that run on several threads.
struct ThreadOptions: ParsableArguments {
    @Option(help: """
        Threads (1...\(ThreadCount.maximum); above the processor count the work is split finer, on one thread per \
        processor).
        """)
    var threads = 1

    func validate() throws {
        guard ThreadCount.accepts(threads) else {
            throw ValidationError("--threads must be in 1...\(ThreadCount.maximum), got \(threads).")
        }
    }
}

/// Checks that a size option lies in `range`, naming the option when it does not.
func requireSize(_ value: Int, in range: ClosedRange<Int>, _ option: String) throws {
    guard range.contains(value) else {
        throw ValidationError("\(option) must be in \(range.lowerBound)...\(range.upperBound), got \(value).")
    }
}
