import Kernels

/// The machine's memory read bandwidth, measured: how fast `threads` threads stream a buffer far
/// larger than every cache, summing it with `SIMD16` adds (four independent chains per thread,
/// so the adds never wait: the reads are the limit). A decoding step that reads its weights
/// and its cache once cannot be faster than their bytes divided by this.
public enum ReadBandwidth {
    /// The best rate in bytes/s over `rounds` timed sums of a buffer of `bytes` bytes (rounded
    /// down to whole 64-byte blocks), its bands split between `threads` threads, after one
    /// untimed sum; the buffer is written once first, so that every page is mapped. The best, not the median: every
    /// disturbance only slows a read. Throws for threads, rounds or bytes/64 below 1, or threads above `ThreadCount.maximum`.
    public static func measure(bytes: Int = 1 << 29, threads: Int = 1, rounds: Int = 5) throws(KernelError) -> Double {
        try KernelError.requireThreads(threads)
        try KernelError.requirePositive(rounds, "rounds")
        let blocks = bytes / 64
        try KernelError.requirePositive(blocks, "bytes / 64")
        let buffer = UnsafeMutablePointer<SIMD16<Float>>.allocate(capacity: blocks)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: SIMD16(repeating: 1), count: blocks)
        let bands = threads * 4
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: bands)
        defer { partial.deallocate() }
        partial.initialize(repeating: 0, count: bands)
        func pass() {
            Bands.run(bands, threads: threads) { band in
                for index in band { partial[index] = sum(buffer, Bands.band(index, of: bands, count: blocks)) }
            }
        }
        pass()  // untimed: the threads start, the pages are read once
        var best = 0.0
        for _ in 0..<rounds {
            best = Swift.max(best, Double(blocks * 64) / Stopwatch.seconds(pass))
        }
        var total: Float = 0
        for i in 0..<bands { total += partial[i] }
        blackHole(total)
        return best
    }

    /// The sum of the blocks of `range`, four chains.
    @inline(never)
    static func sum(_ buffer: UnsafePointer<SIMD16<Float>>, _ range: Range<Int>) -> Float {
        var (a, b, c, d) = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
        var i = range.lowerBound
        while i &+ 4 <= range.upperBound {
            a += buffer[i]; b += buffer[i &+ 1]; c += buffer[i &+ 2]; d += buffer[i &+ 3]
            i &+= 4
        }
        while i < range.upperBound {
            a += buffer[i]
            i &+= 1
        }
        return (a + b + c + d).sum()
    }
}
