import ArgumentParser

/// `swift run -c release bench …`: every speed measurement of this package, one front end.
///
/// Each subcommand is a `Benchmark`: it measures one or more cases and prints each result as one
/// JSON object on its own line of standard output (`BenchmarkResult`); progress goes to
/// standard error. A new benchmark is a new `Benchmark` type in its own file, listed below.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure this package's kernels and model; one JSON object per result on stdout.",
        discussion: """
            Every line has the same keys: benchmark, parameters, cpu, build, threads, repetitions, \
            median_seconds, and where they apply gflops, tokens_per_second and ms_per_token. Speeds \
            mean something only in a release build: swift run -c release bench gemm
            """,
        subcommands: [GEMMBenchmark.self, PeakBenchmark.self, RetentionBenchmark.self, ModelBenchmark.self,
                      DecodeBenchmark.self, TrainingBenchmark.self])
}

Bench.main()
