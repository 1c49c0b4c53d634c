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
        guard threads >= 1 else { throw .threads(threads) }
        try KernelError.requirePositive(rounds, "rounds")
        var iterations = 1_000
        while Stopwatch.seconds({ sink(chains(iterations)) }) < seconds / 4 && iterations < 1 << 40 { iterations *= 4 }
        let steps = iterations
        var best = 0.0
        for _ in 0..<rounds {
            let elapsed = Stopwatch.seconds {
                DispatchQueue.concurrentPerform(iterations: threads) { _ in sink(chains(steps)) }
            }
            best = Swift.max(best, Double(threads) * Double(steps) * 6 * 16 * 2 / elapsed)
        }
        return best
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

    @inline(never)
    static func sink(_ value: Float) {
        if value.isNaN { print("FMA chains produced NaN") }
    }
}
