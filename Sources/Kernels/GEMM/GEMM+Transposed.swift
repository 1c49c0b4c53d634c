extension GEMM {
    /// How an operand of `multiply(unchecked:…)` is read from its buffer: as stored (row-major,
    /// row stride `stride`), or as the transpose of the matrix stored there. A backward pass
    /// needs both: for Y = X Wᵀ, dX = dY W reads W as stored, and dW = dYᵀ X reads dY
    /// transposed. Packing reads the operand in either orientation, so no transpose is ever
    /// written out: only the order in which the packing loops read memory changes.
    package struct Operand {
        package let base: UnsafePointer<Float>
        package let stride: Int
        package let transposed: Bool

        /// The matrix at `base` with row stride `stride`, read as stored.
        package static func plain(_ base: UnsafePointer<Float>, stride: Int) -> Operand {
            Operand(base: base, stride: stride, transposed: false)
        }

        /// The transpose of the matrix at `base` (row stride `stride`): entry (i, j) is
        /// base[j·stride + i].
        package static func transposed(_ base: UnsafePointer<Float>, stride: Int) -> Operand {
            Operand(base: base, stride: stride, transposed: true)
        }
    }

    /// C = A B (or C += A B when `accumulate`) on raw memory, unchecked, for A (m×k) and B (k×n)
    /// each read as stored or transposed (`Operand`), C with row stride `ldc`, on up to `threads`
    /// threads. Sizes may be 0.
    ///
    /// On several threads, when the whole of B packed fits in half of a core's L2 cache (as the
    /// weights and activations of a small model's training step do: `fitsCache`), B is packed
    /// once for all threads (its strips split between them), and C's rows are then handed out in
    /// small groups of whole tiles to whichever thread asks next (`rowGroups`), so that a thread
    /// that is slower — an extra tile, a core shared with other work — delays the product by a
    /// group, not by the difference between two halves. Otherwise C's rows are split into one
    /// band per thread, each thread packing each panel of B just before it uses it (`threaded`'s
    /// scheme): a large B packed whole would leave the cache before it is read.
    ///
    /// `structure` leaves out what is known to be zero or not wanted (`Structure`: a causal head's
    /// products).
    ///
    /// The packed blocks and the micro-kernel are `blocked`'s: each entry is the same fused
    /// chain over each block of k_c terms, whatever the orientation, the tile or the thread
    /// that computes it, so the result is bit-for-bit the same for any thread count.
    package static func multiply(unchecked a: Operand, _ b: Operand, into c: UnsafeMutablePointer<Float>, ldc: Int,
                                 m: Int, n: Int, k: Int, accumulate: Bool, threads: Int, structure: Structure = .dense,
                                 blocking: GEMMBlocking = .selected) {
        guard m > 0, n > 0 else { return }
        let tiles = (m + blocking.tile.rows - 1) / blocking.tile.rows
        guard threads > 1, tiles > 1, k > 0, fitsCache(k: k, n: n, blocking: blocking) else {
            return rowBands(m, threads: threads, tileRows: blocking.tile.rows) { band in
                let buffer = UnsafeMutablePointer<Float>.allocate(
                    capacity: Swift.max(1, blocking.blockDepth(k) * Swift.min(blocking.columns, paddedWidth(n, blocking))))
                defer { buffer.deallocate() }
                multiply(unchecked: a, into: c, ldc: ldc, rows: band, n: n, k: k, accumulate: accumulate,
                         structure: structure, blocking: blocking) { pc, kb, jc, nb in
                    pack(b, rows: pc, depth: kb, columns: jc, count: nb, tile: blocking.tile, into: buffer)
                }
            }
        }
        let paddedColumns = paddedWidth(n, blocking)
        let (kc, nr) = (blocking.blockDepth(k), blocking.tile.columns)
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: k * paddedColumns)
        defer { packed.deallocate() }
        // All of B, block of k after block: the strips of a block side by side (`packB(all:…)`'s
        // layout), each thread packing a band of strips in every block.
        Bands.run(paddedColumns / nr, threads: threads) { strips in
            var pc = 0
            while pc < k {
                let kb = Swift.min(kc, k - pc)
                let first = strips.lowerBound * nr
                pack(b, rows: pc, depth: kb, columns: first, count: Swift.min(strips.count * nr, n - first),
                     tile: blocking.tile, into: packed + (pc &* paddedColumns &+ kb &* first))
                pc &+= kb
            }
        }
        rowGroups(m, threads: threads, n: n, k: k, blocking: blocking) { rows in
            multiply(unchecked: a, into: c, ldc: ldc, rows: rows, n: n, k: k, accumulate: accumulate, structure: structure,
                     blocking: blocking) {
                pc, kb, jc, _ in UnsafePointer(packed + (pc &* paddedColumns &+ kb &* jc))
            }
        }
    }

    /// Rows `rows` of C = A B (or C += A B) on the calling thread, B's panels from `panel(p₀, kb,
    /// j₀, nb)`: packed on the spot, or beforehand.
    private static func multiply(unchecked a: Operand, into c: UnsafeMutablePointer<Float>, ldc: Int, rows: Range<Int>,
                                 n: Int, k: Int, accumulate: Bool, structure: Structure, blocking: GEMMBlocking,
                                 panel: (Int, Int, Int, Int) -> UnsafePointer<Float>) {
        let aBand = a.transposed ? a.base + rows.lowerBound : a.base + rows.lowerBound &* a.stride
        blocks(aBand, lda: a.stride, transposedA: a.transposed, c + rows.lowerBound &* ldc, ldc: ldc, m: rows.count, n: n,
               k: k, accumulate: accumulate, blocking: blocking, structure: structure, firstRow: rows.lowerBound, panel: panel)
    }

    /// Packs rows p₀ … p₀ + depth − 1 and columns j₀ … j₀ + count − 1 of B, read as `b` says,
    /// into strips of the tile's columns at `packed` (`packB`); returns `packed`.
    @discardableResult
    private static func pack(_ b: Operand, rows p0: Int, depth: Int, columns j0: Int, count: Int, tile: RegisterTile,
                             into packed: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        if b.transposed {
            packB(transposed: b.base + (j0 &* b.stride &+ p0), ldb: b.stride, depth: depth, columns: count, tile: tile,
                  into: packed)
        } else {
            packB(b.base + (p0 &* b.stride &+ j0), ldb: b.stride, depth: depth, columns: count, tile: tile, into: packed)
        }
        return UnsafePointer(packed)
    }
}
