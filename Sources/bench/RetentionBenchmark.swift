import ArgumentParser
import Benchmarks
import FastRetention
import Kernels
import Matrices
import Measuring
import Retention

/// `bench retention`: the Float retention kernels on random Q, K, V.
struct RetentionBenchmark: Benchmark {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "The Float retention kernels (RetentionKernels) on random Q, K (n×d_k) and V (n×d_v).",
        discussion: """
            Each kernel computes the n outputs from scratch in one run, on one thread. gflops counts \
            2 × the multiply–adds of the same form in RetentionCost (parallel for both parallel kernels); \
            tokens_per_second and ms_per_token count the n rows. Parameters: kernel, length, key_dim, \
            value_dim, gamma, chunk_size (chunkwise only), seed.
            """)

    /// The kernels, by their flag names.
    enum Kernel: String, CaseIterable, ExpressibleByArgument {
        case parallel
        case tiledParallel = "tiled-parallel"
        case chunkwise, recurrent
    }

    @Option(parsing: .singleValue,
            help: "A kernel; repeat the option for several, one result each.")
    var kernel: [Kernel] = Kernel.allCases

    @Option(help: "n: rows of Q, K and V (1...65536).")
    var length = 2048

    @Option(help: "d_k: columns of Q and K (1...4096).")
    var keyDim = 128

    @Option(help: "d_v: columns of V (1...4096).")
    var valueDim = 256

    @Option(help: "γ: the decay, in (0, 1].")
    var gamma = 1 - 1.0 / 32

    @Option(help: "B: the chunk size of the chunkwise kernel (≥ 1).")
    var chunkSize = 256

    @OptionGroup var timing: RepetitionOptions
    @OptionGroup var input: SeedOptions

    func validate() throws {
        try requireSize(length, in: 1...65_536, "--length")
        try requireSize(keyDim, in: 1...4_096, "--key-dim")
        try requireSize(valueDim, in: 1...4_096, "--value-dim")
        guard gamma > 0 && gamma <= 1 else { throw ValidationError("--gamma must be in (0, 1], got \(gamma).") }
        guard chunkSize >= 1 else { throw ValidationError("--chunk-size must be at least 1, got \(chunkSize).") }
    }

    func measure(report: (BenchmarkResult) throws -> Void) throws {
        let decay = try Decay<Float>(Float(gamma))
        var rng = input.generator
        let scale = 1 / Double(keyDim).squareRoot()
        let q = Matrix<Float>.gaussian(rows: length, columns: keyDim, scale: scale, using: &rng)
        let k = Matrix<Float>.gaussian(rows: length, columns: keyDim, scale: scale, using: &rng)
        let v = Matrix<Float>.gaussian(rows: length, columns: valueDim, using: &rng)
        for kernel in kernel {
            progress("\(kernel.rawValue), n = \(length), d_k = \(keyDim), d_v = \(valueDim), \(timing.repetitions) runs")
            let (run, cost): (() throws -> Void, RetentionCost) = switch kernel {
            case .parallel:
                ({ blackHole(try RetentionKernels.parallel(q: q, k: k, v: v, decay: decay)) },
                 try RetentionCost.parallel(length: length, keyDimension: keyDim, valueDimension: valueDim))
            case .tiledParallel:
                ({ blackHole(try RetentionKernels.tiledParallel(q: q, k: k, v: v, decay: decay)) },
                 try RetentionCost.parallel(length: length, keyDimension: keyDim, valueDimension: valueDim))
            case .chunkwise:
                ({ blackHole(try RetentionKernels.chunkwise(q: q, k: k, v: v, decay: decay, chunkSize: chunkSize)) },
                 try RetentionCost.chunkwise(length: length, keyDimension: keyDim, valueDimension: valueDim, chunkSize: chunkSize))
            case .recurrent:
                ({ blackHole(try RetentionKernels.recurrent(q: q, k: k, v: v, decay: decay)) },
                 try RetentionCost.recurrent(length: length, keyDimension: keyDim, valueDimension: valueDim))
            }
            var parameters: [String: Parameter] = [
                "kernel": .text(kernel.rawValue), "length": .integer(length), "key_dim": .integer(keyDim),
                "value_dim": .integer(valueDim), "gamma": .number(gamma), "seed": .integer(input.seed),
            ]
            if kernel == .chunkwise { parameters["chunk_size"] = .integer(chunkSize) }
            let seconds = try median(repetitions: timing.repetitions, run)
            try report(BenchmarkResult(
                benchmark: "retention", parameters: parameters, threads: 1, repetitions: timing.repetitions,
                medianSeconds: seconds, flops: 2 * Double(cost.multiplyAdds), tokens: length))
        }
    }
}
