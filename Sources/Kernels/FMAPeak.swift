import Dispatch

/// The machine's fused multiply–add peak, measured: what no GEMM on this machine can beat.
///
/// Twelve independent chains c_i ← c_i + x·y of `SIMD16<Float>` (12 × 16 lanes × 2 flops per
/// round). Independent, so the only limits are how many FMAs the core issues per cycle and its
/// clock: a chain of one would measure the FMA latency instead. Run on every thread at once for
/// the machine's peak with `threads` cores busy.
public enum FMAPeak {
    /// The best rate in flop/s over `rounds` runs of `iterations` steps per thread (the best,
    /// not the median: a peak is what the hardware can do, and every disturbance only slows it).
    public static func measure(threads: Int = 1, iterations: Int = 2_000_000, rounds: Int = 5) throws(KernelError) -> Double {
        guard threads >= 1 else { throw .threads(threads) }
        try KernelError.requirePositive(iterations, "iterations")
        try KernelError.requirePositive(rounds, "rounds")
        var best = 0.0
        for _ in 0..<rounds {
            let seconds = Stopwatch.seconds {
                DispatchQueue.concurrentPerform(iterations: threads) { _ in
                    sink(chains(iterations))
                }
            }
            best = Swift.max(best, Double(threads) * Double(iterations) * 6 * 16 * 2 / seconds)
        }
        return best
    }

    /// Twelve independent FMA chains, `iterations` steps each; returns their sum so that the
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

    @inline(never)
    static func sink(_ value: Float) {
        if value.isNaN { print("FMA chains produced NaN") }
    }
}
