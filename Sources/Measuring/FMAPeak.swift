import Dispatch
import Kernels

/// The machine's fused multiply–add peak, measured: what no GEMM on this machine can beat.
///
/// Six independent chains c_i ← c_i + x·y of `SIMD16<Float>` (6 × 16 lanes × 2 flops per
/// step). Independent, so the only limits are how many FMAs the core issues per cycle and its
/// clock: a chain of one would measure the FMA latency instead. Six SIMD16 chains are 12 AVX2
/// registers (or 6 AVX-512 ones), enough in flight to cover a 4-cycle latency at two FMAs per
/// cycle, and few enough, with x and y, to fit AVX2's 16 registers without spilling. Run on every thread at once for
/// the machine's peak with `threads` cores busy.
public enum FMAPeak {
    /// The best rate in flop/s over `rounds` timed runs on every thread at once (the best, not
    /// the median: a peak is what the hardware can do, and every disturbance only slows it).
    /// Each run is long enough to last about `seconds`: the step count is calibrated first, so
    /// a slow debug build measures briefly too.
    public static func measure(threads: Int = 1, seconds: Double = 0.02, rounds: Int = 5) throws(KernelError) -> Double {
        try KernelError.requireThreads(threads)
        try KernelError.requirePositive(rounds, "rounds")
        let steps = self.steps(lasting: seconds)
        var best = 0.0
        for _ in 0..<rounds {
            let elapsed = try Stopwatch.seconds { () throws(KernelError) in try run(steps: steps, threads: threads) }
            best = Swift.max(best, flops(steps: steps, threads: threads) / elapsed)
        }
        return best
    }

    /// A step count for which one thread's chains last between a quarter of `seconds` and
    /// `seconds` (at least 1,000 steps), found by timing growing runs. Each count is timed three
    /// times and the fastest kept: a run the scheduler interrupts looks long, and would stop the
    /// search at a count far too small.
    public static func steps(lasting seconds: Double) -> Int {
        func fastest(_ steps: Int) -> Double {
            (0..<3).map { _ in Stopwatch.seconds { blackHole(chains(steps)) } }.min()!
        }
        var steps = 1_000
        while fastest(steps) < seconds / 4 && steps < 1 << 40 { steps *= 4 }
        return steps
    }

    /// Runs the chains for `steps` steps on each of `threads` threads at once.
    public static func run(steps: Int, threads: Int) throws(KernelError) {
        try KernelError.requirePositive(steps, "steps")
        try KernelError.requireThreads(threads)
        DispatchQueue.concurrentPerform(iterations: threads) { _ in blackHole(chains(steps)) }
    }

    /// The flops of `run(steps:threads:)`: 6 chains × 16 lanes × 2 per step, on every thread.
    public static func flops(steps: Int, threads: Int) -> Double {
        Double(threads) * Double(steps) * 6 * 16 * 2
    }

    /// Six independent FMA chains, `iterations` steps each; returns their sum so that the
    /// optimiser cannot drop them.
    @inline(never)
    static func chains(_ iterations: Int) -> Float {
        typealias V = SIMD16<Float>
        let x = V(repeating: 0x1p-20), y = V(repeating: 1.0001)
        var c0 = V(repeating: 1), c1 = V(repeating: 2), c2 = V(repeating: 3)
        var c3 = V(repeating: 4), c4 = V(repeating: 5), c5 = V(repeating: 6)
        for _ in 0..<iterations {
            c0 = c0.addingProduct(x, y); c1 = c1.addingProduct(x, y); c2 = c2.addingProduct(x, y)
            c3 = c3.addingProduct(x, y); c4 = c4.addingProduct(x, y); c5 = c5.addingProduct(x, y)
        }
        return ((c0 + c1) + (c2 + c3) + (c4 + c5)).sum()
    }
}
