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
    /// each read as stored or transposed (`Operand`), C with row stride `ldc`; rows of C split
    /// between `threads` threads in whole tiles of `blocking`, as `threaded` splits them. Sizes
    /// may be 0.
    ///
    /// The packed blocks and the micro-kernel are `blocked`'s: each entry is the same fused
    /// chain over each block of k_c terms, whatever the orientation, the tile or the thread
    /// that computes it, so the result is bit-for-bit the same for any thread count.
    package static func multiply(unchecked a: Operand, _ b: Operand, into c: UnsafeMutablePointer<Float>, ldc: Int,
                                 m: Int, n: Int, k: Int, accumulate: Bool, threads: Int,
                                 blocking: GEMMBlocking = .selected) {
        guard m > 0, n > 0 else { return }
        rowBands(m, threads: threads, tileRows: blocking.tile.rows) { band in
            let rows = band.count
            let aBand = a.transposed ? a.base + band.lowerBound : a.base + band.lowerBound &* a.stride
            let cBand = c + band.lowerBound &* ldc
            let panel = UnsafeMutablePointer<Float>.allocate(
                capacity: Swift.max(1, blocking.blockDepth(k) * Swift.min(blocking.columns, paddedWidth(n, blocking))))
            defer { panel.deallocate() }
            blocks(aBand, lda: a.stride, transposedA: a.transposed, cBand, ldc: ldc, m: rows, n: n, k: k,
                   accumulate: accumulate, blocking: blocking) { pc, kb, jc, nb in
                if b.transposed {
                    packB(transposed: b.base + (jc &* b.stride &+ pc), ldb: b.stride, depth: kb, columns: nb,
                          tile: blocking.tile, into: panel)
                } else {
                    packB(b.base + (pc &* b.stride &+ jc), ldb: b.stride, depth: kb, columns: nb, tile: blocking.tile,
                          into: panel)
                }
                return UnsafePointer(panel)
            }
        }
    }
}
