extension GEMM {
    /// Rows of the register tile.
    package static let tileRows = 6
    /// Columns of the register tile: one `SIMD16<Float>`.
    package static let tileColumns = 16
    /// Depth of the packed panels: k is cut into blocks of this many terms. A 6-row strip of
    /// packed A (9 KiB) then stays in the 32 KiB L1 cache while it meets every strip of B.
    package static let panelDepth = 384
    /// Columns of B packed at once (a multiple of `tileColumns`): 384 × 384 floats, 576 KiB,
    /// which stays near the core (L2, 512 KiB per core here, and L3) while every strip of A
    /// passes over it.
    package static let panelColumns = 384

    /// Rung 4, packing and register blocking (the Goto/BLIS scheme): cut k into blocks of
    /// `panelDepth` terms; copy that block of all of A's rows into strips of 6 rows (once: it
    /// serves every panel of B) and a panel of B into strips of 16 columns, each laid out in
    /// exactly the order the micro-kernel reads it; then run the 6×16 micro-kernel
    /// (`microKernel6x16`) over every pair of strips, each A strip against every B strip of the
    /// panel while it sits in L1.
    ///
    /// Packing turns strided reads into sequential ones that stay in cache while they are reused
    /// (an A strip is read once per B strip, a B strip once per A strip), and the micro-kernel
    /// keeps its 6×16 tile of C in registers for a whole block of k. Edges: strips are padded
    /// with zeros up to 6 rows or 16 columns; an edge tile is computed whole into a scratch tile
    /// and only its valid part is copied to C, so nothing outside A, B or C is ever touched.
    ///
    /// Rounding: each entry is a fused chain over one block of k from 0, added to C block after
    /// block. The order of the terms depends only on the entry and the block depth, never on
    /// which tile or thread computes it: that makes `threaded` bit-for-bit equal to this.
    public static func blocked(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) throws(KernelError) -> [Float] {
        try product(.blocked, a, b, m: m, n: n, k: k)
    }

    /// C = A B (or C += A B when `accumulate`) for an m×k block of A with row stride `lda`, a
    /// k×n block of B with row stride `ldb` and C with row stride `ldc`. Sizes may be 0.
    /// Each panel of B is packed just before it is used, into a buffer that stays in cache.
    /// (A fast model's prefill multiplies softmax weights by cached values with it.)
    package static func blockedKernel(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                              _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, k: Int, accumulate: Bool) {
        // One packed panel: at most `panelDepth` rows of `panelColumns` (n rounded up to 16 if less).
        let panel = UnsafeMutablePointer<Float>.allocate(
            capacity: Swift.max(1, Swift.min(panelDepth, k) * Swift.min(panelColumns, n + tileColumns)))
        defer { panel.deallocate() }
        blocks(a, lda: lda, c, ldc: ldc, m: m, n: n, k: k, accumulate: accumulate) { pc, kb, jc, nb in
            packB(b + (pc &* ldb &+ jc), ldb: ldb, depth: kb, columns: nb, into: panel)
            return UnsafePointer(panel)
        }
    }

    /// C = A B (or C += A B) with B (k×n) already packed by `packB(all:)`: B is packed once and
    /// may serve many products (every row band of a threaded product, every row tile of the
    /// tiled retention kernels, every call of a model's weights).
    static func blockedKernel(_ a: UnsafePointer<Float>, lda: Int, packed: UnsafePointer<Float>,
                              _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, k: Int, accumulate: Bool) {
        let paddedColumns = paddedWidth(n)
        blocks(a, lda: lda, c, ldc: ldc, m: m, n: n, k: k, accumulate: accumulate) { pc, kb, jc, _ in
            packed + (pc &* paddedColumns &+ kb &* jc)
        }
    }

    /// The loops both `blockedKernel`s share: for each block of `panelDepth` rows of B (from
    /// p₀, kb deep), pack A's columns p₀ … p₀+kb−1 for all m rows; for each panel of
    /// `panelColumns` columns (from j₀, nb wide), get the packed panel from `panel(p₀, kb, j₀,
    /// nb)`, then run the micro-kernel over every pair of A strip and B strip.
    /// With `transposedA`, A is read as the transpose of the k×m matrix at `a` (row stride
    /// `lda`): A_ip = a[p·lda + i] (`packA(transposed:…)`).
    @inline(__always)
    static func blocks(_ a: UnsafePointer<Float>, lda: Int, transposedA: Bool = false, _ c: UnsafeMutablePointer<Float>,
                       ldc: Int, m: Int, n: Int, k: Int, accumulate: Bool,
                       panel: (Int, Int, Int, Int) -> UnsafePointer<Float>) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            // An empty sum: C = 0, or C unchanged when accumulating.
            if !accumulate { for i in 0..<m { (c + i &* ldc).update(repeating: 0, count: n) } }
            return
        }
        let (mr, nr) = (tileRows, tileColumns)
        let kc = Swift.min(panelDepth, k)
        let packedA = UnsafeMutablePointer<Float>.allocate(capacity: (m + mr - 1) / mr * mr * kc)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: mr * nr)
        defer { packedA.deallocate(); scratch.deallocate() }
        var pc = 0
        while pc < k {
            let kb = Swift.min(kc, k - pc)
            let add = accumulate || pc > 0
            // All m rows of this block of k, packed once and reused for every panel of B.
            if transposedA {
                packA(transposed: a + pc &* lda, lda: lda, rows: m, depth: kb, into: packedA)
            } else {
                packA(a + pc, lda: lda, rows: m, depth: kb, into: packedA)
            }
            var jc = 0
            while jc < n {
                let nb = Swift.min(panelColumns, n - jc)
                let packedB = panel(pc, kb, jc, nb)
                var ir = 0
                while ir < m {
                    let rows = Swift.min(mr, m - ir)
                    let aStrip = packedA + (ir / mr) &* kb &* mr
                    var jr = 0
                    while jr < nb {
                        let columns = Swift.min(nr, nb - jr)
                        let bStrip = packedB + (jr / nr) &* kb &* nr
                        let tile = c + (ir &* ldc &+ jc &+ jr)
                        if rows == mr && columns == nr {
                            microKernel6x16(depth: kb, a: aStrip, b: bStrip, c: tile, ldc: ldc, accumulate: add)
                        } else {
                            microKernel6x16(depth: kb, a: aStrip, b: bStrip, c: scratch, ldc: nr, accumulate: false)
                            for r in 0..<rows {
                                let source = scratch + r &* nr, target = tile + r &* ldc
                                for l in 0..<columns { target[l] = add ? target[l] + source[l] : source[l] }
                            }
                        }
                        jr &+= nr
                    }
                    ir &+= mr
                }
                jc &+= nb
            }
            pc &+= kb
        }
    }

    /// Floats that B (k×n) takes packed: k rows of n rounded up to whole 16-column strips.
    static func packedCount(k: Int, n: Int) -> Int { k * paddedWidth(n) }

    /// n rounded up to whole 16-column strips: the row length of a packed B.
    package static func paddedWidth(_ n: Int) -> Int { (n + tileColumns - 1) / tileColumns * tileColumns }

    /// Packs all of B (depth×columns, row stride `ldb`) for `blockedKernel(_:lda:packed:…)`:
    /// block by block of `panelDepth` rows, and within a block panel by panel of
    /// `panelColumns` columns (`packB`), one after another. The block of rows p₀ … and columns
    /// j₀ … starts at p₀ n̄ + kb j₀ (n̄: columns rounded up to 16; kb: the block's depth).
    static func packB(all b: UnsafePointer<Float>, ldb: Int, depth k: Int, columns n: Int,
                      into packed: UnsafeMutablePointer<Float>) {
        let kc = Swift.min(panelDepth, k)
        let paddedColumns = paddedWidth(n)
        var pc = 0
        while pc < k {
            let kb = Swift.min(kc, k - pc)
            var jc = 0
            while jc < n {
                let nb = Swift.min(panelColumns, n - jc)
                packB(b + (pc &* ldb &+ jc), ldb: ldb, depth: kb, columns: nb, into: packed + (pc &* paddedColumns &+ kb &* jc))
                jc &+= nb
            }
            pc &+= kb
        }
    }

    /// Copies rows×depth of A into strips of `tileRows` rows: strip s holds, for p = 0 … depth−1,
    /// the six values A[6s … 6s+5, p] side by side (zeros below the last row).
    static func packA(_ a: UnsafePointer<Float>, lda: Int, rows: Int, depth: Int, into packed: UnsafeMutablePointer<Float>) {
        let mr = tileRows
        var out = packed
        var r0 = 0
        while r0 < rows {
            let valid = Swift.min(mr, rows - r0)
            if valid == mr {
                let (s0, s1, s2) = (a + r0 &* lda, a + (r0 &+ 1) &* lda, a + (r0 &+ 2) &* lda)
                let (s3, s4, s5) = (a + (r0 &+ 3) &* lda, a + (r0 &+ 4) &* lda, a + (r0 &+ 5) &* lda)
                for p in 0..<depth {
                    out[0] = s0[p]; out[1] = s1[p]; out[2] = s2[p]
                    out[3] = s3[p]; out[4] = s4[p]; out[5] = s5[p]
                    out += mr
                }
            } else {
                for p in 0..<depth {
                    for r in 0..<mr { out[r] = r < valid ? a[(r0 &+ r) &* lda &+ p] : 0 }
                    out += mr
                }
            }
            r0 &+= mr
        }
    }

    /// Copies depth×columns of B into strips of `tileColumns` columns: strip s holds, for
    /// p = 0 … depth−1, the 16 values B[p, 16s … 16s+15] side by side (zeros past the last column).
    static func packB(_ b: UnsafePointer<Float>, ldb: Int, depth: Int, columns: Int, into packed: UnsafeMutablePointer<Float>) {
        let nr = tileColumns
        var out = packed
        var c0 = 0
        while c0 < columns {
            let valid = Swift.min(nr, columns - c0)
            for p in 0..<depth {
                let source = b + (p &* ldb &+ c0)
                if valid == nr {
                    // One vector, not a call to memmove per 16 floats.
                    UnsafeMutableRawPointer(out).storeBytes(of: UnsafeRawPointer(source).loadUnaligned(as: SIMD16<Float>.self),
                                                            as: SIMD16<Float>.self)
                } else {
                    out.update(from: source, count: valid)
                    (out + valid).update(repeating: 0, count: nr - valid)
                }
                out += nr
            }
            c0 &+= nr
        }
    }
}
