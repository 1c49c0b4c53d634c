extension GEMM {
    /// Rung 5, threads: C's rows split into `threads` contiguous bands of whole 6-row tiles (the
    /// last tile may be short), each band computed by the blocked kernel on its own thread
    /// (`Bands.run`), with its own packed panels. Each thread packs B's
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

    /// Rows [6·first, 6·end) of C for the tiles first..<end, the last ending at m: the bands of
    /// rows that `Bands` deals out as whole 6-row tiles (the last tile may be short).
    static func rows(ofTiles tiles: Range<Int>, in m: Int) -> Range<Int> {
        Swift.min(tiles.lowerBound * tileRows, m)..<Swift.min(tiles.upperBound * tileRows, m)
    }

    /// Runs `body` on bands of C's m rows on up to `threads` threads: the 6-row tiles split by
    /// `Bands.run`, each band handed over as rows. The body computes its band of C from A's
    /// same rows and all of B (packed per panel by each thread, or packed once beforehand).
    static func rowBands(_ m: Int, threads: Int, _ body: (Range<Int>) -> Void) {
        Bands.run((m + tileRows - 1) / tileRows, threads: threads) { tiles in body(rows(ofTiles: tiles, in: m)) }
    }
}
