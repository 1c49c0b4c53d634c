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
    /// between `threads` threads in whole 6-row tiles, as `threaded` splits them. Sizes may be 0.
    ///
    /// The packed blocks and the micro-kernel are `blocked`'s: each entry is the same fused
    /// chain over each block of `panelDepth` terms, whatever the orientation, the tile or the
    /// thread that computes it, so the result is bit-for-bit the same for any thread count.
    package static func multiply(unchecked a: Operand, _ b: Operand, into c: UnsafeMutablePointer<Float>, ldc: Int,
                                 m: Int, n: Int, k: Int, accumulate: Bool, threads: Int) {
        guard m > 0, n > 0 else { return }
        rowBands(m, threads: threads) { band in
            let rows = band.count
            let aBand = a.transposed ? a.base + band.lowerBound : a.base + band.lowerBound &* a.stride
            let cBand = c + band.lowerBound &* ldc
            let panel = UnsafeMutablePointer<Float>.allocate(
                capacity: Swift.max(1, Swift.min(panelDepth, k) * Swift.min(panelColumns, n + tileColumns)))
            defer { panel.deallocate() }
            blocks(aBand, lda: a.stride, transposedA: a.transposed, cBand, ldc: ldc, m: rows, n: n, k: k,
                   accumulate: accumulate) { pc, kb, jc, nb in
                if b.transposed {
                    packB(transposed: b.base + (jc &* b.stride &+ pc), ldb: b.stride, depth: kb, columns: nb, into: panel)
                } else {
                    packB(b.base + (pc &* b.stride &+ jc), ldb: b.stride, depth: kb, columns: nb, into: panel)
                }
                return UnsafePointer(panel)
            }
        }
    }

    /// `packA` for an A read transposed: the rows×depth block of A is the transpose of the
    /// depth×rows matrix at `a` (row stride `lda`), so strip s holds, for p = 0 … depth−1, the
    /// six values a[p·lda + 6s … 6s+5], contiguous in memory (zeros past the last row).
    static func packA(transposed a: UnsafePointer<Float>, lda: Int, rows: Int, depth: Int,
                      into packed: UnsafeMutablePointer<Float>) {
        let mr = tileRows
        var out = packed
        var r0 = 0
        while r0 < rows {
            let valid = Swift.min(mr, rows - r0)
            // Element by element: a call to memmove per six floats costs more than the copy.
            for p in 0..<depth {
                let source = a + (p &* lda &+ r0)
                if valid == mr {
                    out[0] = source[0]; out[1] = source[1]; out[2] = source[2]
                    out[3] = source[3]; out[4] = source[4]; out[5] = source[5]
                } else {
                    for r in 0..<mr { out[r] = r < valid ? source[r] : 0 }
                }
                out += mr
            }
            r0 &+= mr
        }
    }

    /// `packB` for a B read transposed: the depth×columns block of B is the transpose of the
    /// columns×depth matrix at `b` (row stride `ldb`), so strip s holds, for p = 0 … depth−1,
    /// the 16 values b[(16s + l)·ldb + p], l = 0 … 15 (zeros past the last column): the 16 source
    /// rows are read side by side, front to back, and the strip written in order.
    static func packB(transposed b: UnsafePointer<Float>, ldb: Int, depth: Int, columns: Int,
                      into packed: UnsafeMutablePointer<Float>) {
        let nr = tileColumns
        var out = packed
        var c0 = 0
        while c0 < columns {
            let valid = Swift.min(nr, columns - c0)
            let source = b + c0 &* ldb
            for p in 0..<depth {
                for l in 0..<valid { out[l] = source[l &* ldb &+ p] }
                for l in valid..<nr { out[l] = 0 }
                out += nr
            }
            c0 &+= nr
        }
    }
}
