extension GEMM {
    /// Rung 6, threads: C's rows split into `threads` contiguous bands of whole tiles of rows (the
    /// last tile may be short), each band computed by the blocked kernel with this machine's
    /// register tile (`RegisterTile.selected`: 12×32 where AVX-512 exists, 6×16 elsewhere) on its own thread
    /// (`Bands.run`), with its own packed panels. Each thread packs B's
    /// panels for itself, just before it uses them: measured faster here than packing B once
    /// for all threads, whose panels are then no longer in the core's own cache. (A B used
    /// many times, as a model's weights, is packed once: `PackedMatrix`.)
    ///
    /// Only the work is split, never a sum: every entry of C is computed by one thread, with the
    /// same block depth and the same order of terms as `blocked`, so the result is bit-for-bit
    /// the same for any thread count (and the same as `blocked`'s for the same k_c).
    public static func threaded(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, threads: Int) throws(KernelError)
        -> [Float]
    {
        try product(.threaded, a, b, m: m, n: n, k: k, threads: threads)
    }

    /// Rows [r·first, r·end) of C for the tiles first..<end of r = `tileRows` rows, the last
    /// ending at m: the bands of rows that `Bands` deals out as whole tiles (the last may be short).
    static func rows(ofTiles tiles: Range<Int>, in m: Int, tileRows: Int) -> Range<Int> {
        Swift.min(tiles.lowerBound * tileRows, m)..<Swift.min(tiles.upperBound * tileRows, m)
    }

    /// Runs `body` on bands of C's m rows on up to `threads` threads: the tiles of `tileRows`
    /// rows split by `Bands.run`, each band handed over as rows. The body computes its band of C
    /// from A's same rows and all of B (packed per panel by each thread, or packed once beforehand).
    static func rowBands(_ m: Int, threads: Int, tileRows: Int, _ body: (Range<Int>) -> Void) {
        Bands.run((m + tileRows - 1) / tileRows, threads: threads) { tiles in
            body(rows(ofTiles: tiles, in: m, tileRows: tileRows))
        }
    }

    /// Whether B (k×n) packed fits in half of a core's L2 cache: k_c × n_c floats, the size of the
    /// panel `GEMMBlocking` sizes for L2. Packed once, such a B stays in each core's cache while
    /// C's rows go by.
    static func fitsCache(k: Int, n: Int, blocking: GEMMBlocking) -> Bool {
        k * paddedWidth(n, blocking) <= blocking.depth * blocking.columns
    }

    /// Runs `body` on groups of C's m rows on up to `threads` threads: whole tiles of rows (the
    /// last may be short), handed out a group at a time (`ItemGroups`) to whichever thread asks
    /// next, for a product whose B (k×n) is packed beforehand with `blocking`. A thread that is
    /// slower — an extra tile, a core shared with other work — then delays the product by a group,
    /// not by the difference between two halves. When B fits in the cache (`fitsCache`) it stays
    /// there from group to group, and groups are small; a larger B is read again by every group,
    /// so each group is a block of m_c rows (`GEMMBlocking.rows`), as a band of `rowBands` would
    /// pack it.
    static func rowGroups(_ m: Int, threads: Int, n: Int, k: Int, blocking: GEMMBlocking, _ body: (Range<Int>) -> Void) {
        let tileRows = blocking.tile.rows
        let tiles = (m + tileRows - 1) / tileRows
        guard threads > 1, tiles > 1 else {
            if m > 0 { body(0..<m) }
            return
        }
        let small = fitsCache(k: k, n: n, blocking: blocking)
        ItemGroups.share(tiles, threads: threads, minimumSize: small ? 1 : blocking.rows / tileRows) { group, _ in
            body(rows(ofTiles: group, in: m, tileRows: tileRows))
        }
    }
}
