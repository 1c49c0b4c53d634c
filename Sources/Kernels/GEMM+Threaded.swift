import Dispatch

extension GEMM {
    /// Rung 5, threads: C's rows split into `threads` contiguous bands (whole 6-row tiles where
    /// possible), each band computed by the blocked kernel on its own thread
    /// (`DispatchQueue.concurrentPerform`), with its own packed panels. Each thread packs B's
    /// panels for itself, just before it uses them: measured faster here than packing B once
    /// for all threads, whose panels are then no longer in the core's own cache. (A B used
    /// many times, as a model's weights, is packed once: `PackedMatrix`.)
    ///
    /// Only the work is split, never a sum: every entry of C is computed by one thread, with the
    /// same block depth and the same order of terms as `blocked`, so the result is bit-for-bit
    /// the same for any thread count.
    public static func threaded(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, threads: Int) throws(KernelError)
        -> [Float]
    {
        try product(.threaded, a, b, m: m, n: n, k: k, threads: threads)
    }

    /// The row band of thread `index` of `threads` over m rows: tiles of 6 rows dealt out as
    /// evenly as possible, the first bands taking one extra tile; the last band ends at m.
    static func rowBand(_ index: Int, of threads: Int, rows m: Int) -> Range<Int> {
        let tiles = (m + tileRows - 1) / tileRows
        let (share, extra) = tiles.quotientAndRemainder(dividingBy: threads)
        let start = index * share + Swift.min(index, extra)
        let count = share + (index < extra ? 1 : 0)
        return Swift.min(start * tileRows, m)..<Swift.min((start + count) * tileRows, m)
    }

    static func threadedKernel(_ buffers: SharedBuffers, m: Int, n: Int, k: Int, threads: Int) {
        if threads == 1 {
            blockedKernel(buffers.a, lda: k, buffers.b, ldb: n, buffers.c, ldc: n, m: m, n: n, k: k, accumulate: false)
            return
        }
        DispatchQueue.concurrentPerform(iterations: threads) { index in
            let band = rowBand(index, of: threads, rows: m)
            guard !band.isEmpty else { return }
            blockedKernel(buffers.a + band.lowerBound * k, lda: k, buffers.b, ldb: n,
                          buffers.c + band.lowerBound * n, ldc: n, m: band.count, n: n, k: k, accumulate: false)
        }
    }

    /// C = A B with B already packed (`packB(all:)`), rows of C split between the threads.
    static func threadedKernel(a: UnsafePointer<Float>, packed: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                               m: Int, n: Int, k: Int, threads: Int) {
        let buffers = SharedBuffers(a: a, b: packed, c: c)
        let workers = Swift.min(threads, (m + tileRows - 1) / tileRows)
        guard workers > 1 else {
            blockedKernel(a, lda: k, packed: packed, c, ldc: n, m: m, n: n, k: k, accumulate: false)
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { index in
            let band = rowBand(index, of: workers, rows: m)
            guard !band.isEmpty else { return }
            blockedKernel(buffers.a + band.lowerBound * k, lda: k, packed: buffers.b,
                          buffers.c + band.lowerBound * n, ldc: n, m: band.count, n: n, k: k, accumulate: false)
        }
    }
}
