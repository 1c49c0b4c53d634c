extension GEMM {
    /// Rung 4, packing and register blocking (the Goto/BLIS scheme), with the 6×16 tile sized for
    /// AVX2 (`RegisterTile.avx2`): cut k into blocks of k_c terms; copy a block of A's rows into
    /// strips of 6 rows (once: it serves every panel of B) and a panel of B into strips of 16
    /// columns, each laid out in exactly the order the micro-kernel reads it; then run the 6×16
    /// micro-kernel over every pair of strips, each A strip against every B strip of the panel
    /// while it sits in L1. k_c and the panel sizes come from this machine's caches
    /// (`GEMMBlocking`).
    ///
    /// Packing turns strided reads into sequential ones that stay in cache while they are reused
    /// (an A strip is read once per B strip, a B strip once per A strip), and the micro-kernel
    /// keeps its tile of C in registers for a whole block of k. Edges: strips are padded with
    /// zeros up to whole tiles; an edge tile is computed whole into a scratch tile and only its
    /// valid part is copied to C, so nothing outside A, B or C is ever touched.
    ///
    /// Rounding: each entry is a fused chain over one block of k from 0, added to C block after
    /// block. The order of the terms depends only on the entry and the block depth, never on the
    /// tile's shape or on which tile or thread computes it: that makes `blockedWide` and
    /// `threaded` bit-for-bit equal to this, for the same k_c.
    public static func blocked(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) throws(KernelError) -> [Float] {
        try product(.blocked, a, b, m: m, n: n, k: k)
    }

    /// Rung 5, the same packing with the 12×32 tile sized for AVX-512 (`RegisterTile.avx512`): 24
    /// `SIMD16` accumulators where `blocked` has 6, so that every broadcast of A feeds two FMAs and
    /// enough independent chains are in flight for two 512-bit FMA units. Correct on any machine;
    /// fast where 32 registers of 512 bits exist, and where it is the tile `threaded` uses.
    public static func blockedWide(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) throws(KernelError) -> [Float] {
        try product(.blockedWide, a, b, m: m, n: n, k: k)
    }

    /// C = A B (or C += A B when `accumulate`) for an m×k block of A with row stride `lda`, a
    /// k×n block of B with row stride `ldb` and C with row stride `ldc`, cut as `blocking` says.
    /// Sizes may be 0. Each panel of B is packed just before it is used, into a buffer that stays
    /// in cache. (A fast model's prefill multiplies softmax weights by cached values with it.)
    package static func blockedKernel(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                                      _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, k: Int, accumulate: Bool,
                                      blocking: GEMMBlocking = .selected) {
        // One packed panel: at most k_c rows of n_c columns (n rounded up to whole tiles if less).
        let panel = UnsafeMutablePointer<Float>.allocate(
            capacity: Swift.max(1, blocking.blockDepth(k) * Swift.min(blocking.columns, paddedWidth(n, blocking))))
        defer { panel.deallocate() }
        blocks(a, lda: lda, c, ldc: ldc, m: m, n: n, k: k, accumulate: accumulate, blocking: blocking) { pc, kb, jc, nb in
            packB(b + (pc &* ldb &+ jc), ldb: ldb, depth: kb, columns: nb, tile: blocking.tile, into: panel)
            return UnsafePointer(panel)
        }
    }

    /// C = A B (or C += A B) with B (k×n) already packed by `packB(all:…)` with the same
    /// `blocking`: B is packed once and may serve many products (every row band of a threaded
    /// product, every row tile of the tiled retention kernels, every call of a model's weights).
    package static func blockedKernel(_ a: UnsafePointer<Float>, lda: Int, packed: UnsafePointer<Float>,
                              _ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, k: Int, accumulate: Bool,
                              blocking: GEMMBlocking = .selected) {
        let paddedColumns = paddedWidth(n, blocking)
        blocks(a, lda: lda, c, ldc: ldc, m: m, n: n, k: k, accumulate: accumulate, blocking: blocking) { pc, kb, jc, _ in
            packed + (pc &* paddedColumns &+ kb &* jc)
        }
    }

    /// The loops both `blockedKernel`s (and `multiply(unchecked:…)`) share, run with the
    /// micro-kernel of `blocking`'s tile. With `transposedA`, A is read as the transpose of the
    /// k×m matrix at `a` (row stride `lda`): A_ip = a[p·lda + i].
    /// `structure` says which terms or entries may be left out, for rows of C numbered from
    /// `firstRow` (`Structure`).
    @inline(__always)
    static func blocks(_ a: UnsafePointer<Float>, lda: Int, transposedA: Bool = false, _ c: UnsafeMutablePointer<Float>,
                       ldc: Int, m: Int, n: Int, k: Int, accumulate: Bool, blocking: GEMMBlocking,
                       structure: Structure = .dense, firstRow: Int = 0,
                       panel: (Int, Int, Int, Int) -> UnsafePointer<Float>) {
        switch blocking.tile {
        case .avx2:
            blocks(MicroKernel6x16.self, a, lda: lda, transposedA: transposedA, c, ldc: ldc, m: m, n: n, k: k,
                   accumulate: accumulate, blocking: blocking, structure: structure, firstRow: firstRow, panel: panel)
        case .avx512:
            blocks(MicroKernel12x32.self, a, lda: lda, transposedA: transposedA, c, ldc: ldc, m: m, n: n, k: k,
                   accumulate: accumulate, blocking: blocking, structure: structure, firstRow: firstRow, panel: panel)
        }
    }

    /// For each block of rows of B (from p₀, kb ≤ `blockDepth(k)` deep) and each block of m_c rows of A (from
    /// i₀), pack A's rows i₀ … and columns p₀ … p₀+kb−1 into strips; for each panel of n_c
    /// columns (from j₀, nb wide), get the packed panel from `panel(p₀, kb, j₀, nb)`, then run
    /// `Kernel` over every pair of A strip and B strip.
    @inline(__always)
    private static func blocks<Kernel: MicroKernel>(_: Kernel.Type, _ a: UnsafePointer<Float>, lda: Int, transposedA: Bool,
                                                    _ c: UnsafeMutablePointer<Float>, ldc: Int,
                                                    m: Int, n: Int, k: Int, accumulate: Bool, blocking: GEMMBlocking,
                                                    structure: Structure, firstRow: Int,
                                                    panel: (Int, Int, Int, Int) -> UnsafePointer<Float>) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            // An empty sum: C = 0, or C unchanged when accumulating.
            if !accumulate { for i in 0..<m { (c + i &* ldc).update(repeating: 0, count: n) } }
            return
        }
        let (mr, nr) = (Kernel.rows, Kernel.columns)
        let kc = blocking.blockDepth(k)
        let mc = Swift.min(blocking.rows, (m + mr - 1) / mr * mr)
        let packedA = UnsafeMutablePointer<Float>.allocate(capacity: mc * kc)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: mr * nr)
        defer { packedA.deallocate(); scratch.deallocate() }
        var pc = 0
        while pc < k {
            let kb = Swift.min(kc, k - pc)
            let add = accumulate || pc > 0
            var ic = 0
            while ic < m {
                let mb = Swift.min(mc, m - ic)
                // These rows of this block of k, packed once and reused for every panel of B.
                if transposedA {
                    packA(Kernel.self, transposed: a + (pc &* lda &+ ic), lda: lda, rows: mb, depth: kb, into: packedA)
                } else {
                    packA(Kernel.self, a + (ic &* lda &+ pc), lda: lda, rows: mb, depth: kb, into: packedA)
                }
                var jc = 0
                while jc < n {
                    let nb = Swift.min(blocking.columns, n - jc)
                    let packedB = panel(pc, kb, jc, nb)
                    var ir = 0
                    while ir < mb {
                        let rows = Swift.min(mr, mb - ir)
                        let aStrip = packedA + (ir / mr) &* kb &* mr
                        var jr = 0
                        // The terms of this block the strip's rows need: all but A's zeros (`Structure`).
                        let row0 = firstRow &+ ic &+ ir
                        let terms = structure.terms(rows: row0..<(row0 &+ rows), block: pc..<(pc &+ kb))
                        while jr < nb {
                            let columns = Swift.min(nr, nb - jr)
                            let tile = c + ((ic &+ ir) &* ldc &+ jc &+ jr)
                            if structure == .lowerOutput && jc &+ jr > row0 &+ rows &- 1 {
                                // Wholly above the diagonal: not wanted, left as it is.
                            } else if terms.isEmpty {
                                // Only zeros of A in this block: C unchanged, or 0 where it starts.
                                if !add { for r in 0..<rows { (tile + r &* ldc).update(repeating: 0, count: columns) } }
                            } else {
                                let skip = terms.lowerBound &- pc
                                let (aTerms, bTerms) = (aStrip + skip &* mr, packedB + (jr / nr) &* kb &* nr + skip &* nr)
                                if rows == mr && columns == nr {
                                    Kernel.run(depth: terms.count, a: aTerms, b: bTerms, c: tile, ldc: ldc, accumulate: add)
                                } else {
                                    Kernel.run(depth: terms.count, a: aTerms, b: bTerms, c: scratch, ldc: nr, accumulate: false)
                                    for r in 0..<rows {
                                        let source = scratch + r &* nr, target = tile + r &* ldc
                                        for l in 0..<columns { target[l] = add ? target[l] + source[l] : source[l] }
                                    }
                                }
                            }
                            jr &+= nr
                        }
                        ir &+= mr
                    }
                    jc &+= nb
                }
                ic &+= mb
            }
            pc &+= kb
        }
    }

    /// Floats that B (k×n) takes packed for `blocking`: k rows of n rounded up to whole tiles.
    package static func packedCount(k: Int, n: Int, blocking: GEMMBlocking = .selected) -> Int { k * paddedWidth(n, blocking) }

    /// n rounded up to whole tile columns: the row length of a packed B.
    static func paddedWidth(_ n: Int, _ blocking: GEMMBlocking) -> Int {
        let nr = blocking.tile.columns
        return (n + nr - 1) / nr * nr
    }

    /// Packs all of B (depth×columns, row stride `ldb`) for `blockedKernel(_:lda:packed:…)`:
    /// block by block of rows (`blockDepth(k)` each, the last may be less), and within a block panel by panel of n_c columns (`packB`),
    /// one after another. The block of rows p₀ … and columns j₀ … starts at p₀ n̄ + kb j₀ (n̄:
    /// columns rounded up to whole tiles; kb: the block's depth).
    package static func packB(all b: UnsafePointer<Float>, ldb: Int, depth k: Int, columns n: Int,
                      into packed: UnsafeMutablePointer<Float>, blocking: GEMMBlocking = .selected) {
        let kc = blocking.blockDepth(k)
        let paddedColumns = paddedWidth(n, blocking)
        var pc = 0
        while pc < k {
            let kb = Swift.min(kc, k - pc)
            var jc = 0
            while jc < n {
                let nb = Swift.min(blocking.columns, n - jc)
                packB(b + (pc &* ldb &+ jc), ldb: ldb, depth: kb, columns: nb, tile: blocking.tile,
                      into: packed + (pc &* paddedColumns &+ kb &* jc))
                jc &+= nb
            }
            pc &+= kb
        }
    }

    /// Copies rows×depth of A into strips of `Kernel.rows` rows (mr): strip s holds, for
    /// p = 0 … depth−1, the mr values A[mr·s … mr·s + mr − 1, p] side by side (zeros below the
    /// last row). Generic over the kernel so that mr is a constant and a whole strip's column
    /// is copied by straight-line code.
    @inline(__always)
    private static func packA<Kernel: MicroKernel>(_: Kernel.Type, _ a: UnsafePointer<Float>, lda: Int, rows: Int, depth: Int,
                                                   into packed: UnsafeMutablePointer<Float>) {
        let mr = Kernel.rows
        var out = packed
        var r0 = 0
        while r0 < rows {
            let valid = Swift.min(mr, rows - r0)
            let strip = a + r0 &* lda
            if valid == mr {
                var p = 0
                if mr > 8 {
                    // 16 columns at a time by a register transpose: written as the loop below,
                    // the compiler makes each row's 16 values one AVX-512 scatter, which costs
                    // more than the product it feeds on a machine that scatters slowly.
                    while p &+ 16 <= depth {
                        transposeStrip(strip + p, lda: lda, rows: mr, into: out)
                        out += 16 &* mr
                        p &+= 16
                    }
                }
                while p < depth {
                    for r in 0..<mr { out[r] = strip[r &* lda &+ p] }
                    out += mr
                    p &+= 1
                }
            } else {
                for p in 0..<depth {
                    for r in 0..<mr { out[r] = r < valid ? strip[r &* lda &+ p] : 0 }
                    out += mr
                }
            }
            r0 &+= mr
        }
    }

    /// Writes, for p = 0 … 15, the `rows` (9 … 16) values a[r·lda + p], r = 0 … rows − 1, side
    /// by side at out[p·rows …]: a 16×16 block of A (rows past `rows` read as 0) transposed in
    /// registers (`transposed16`). Each column but the last is stored as a whole vector whose last
    /// 16 − rows lanes the next column's store overwrites; the last is stored lane by lane, so that
    /// nothing past out[16·rows − 1] is touched.
    @inline(__always)
    private static func transposeStrip(_ a: UnsafePointer<Float>, lda: Int, rows: Int, into out: UnsafeMutablePointer<Float>) {
        let bytes = UnsafeMutableRawPointer(out)
        transposed16(a, lda: lda, rows: rows) { p, column in
            if p < 15 {
                bytes.storeBytes(of: column, toByteOffset: p &* rows &* 4, as: SIMD16<Float>.self)
            } else {
                for r in 0..<rows { out[15 &* rows &+ r] = column[r] }
            }
        }
    }

    /// The 16×16 block of floats a[r·lda + p] (r < `rows` ≤ 16, p < 16; rows past `rows` read as
    /// 0), transposed and handed to `store` column by column: vector p holds a[r·lda + p] in lane
    /// r. (Handed over rather than returned: returned, the 16 vectors go through memory.) Four
    /// rounds of a perfect unshuffle — pairing vectors 2i and 2i + 1, the even lanes of the pair go
    /// to vector i and the odd ones to vector i + 8, which rotates the 8 bits (vector, lane) of
    /// every element right by one, so that four rounds swap vector and lane. Only moves values: no
    /// rounding.
    @inline(__always)
    package static func transposed16(_ a: UnsafePointer<Float>, lda: Int, rows: Int, _ store: (Int, SIMD16<Float>) -> Void) {
        typealias V = SIMD16<Float>
        var v = InlineArray<16, V> { r in r < rows ? UnsafeRawPointer(a + r &* lda).loadUnaligned(as: V.self) : V() }
        for _ in 0..<4 {
            var u = v
            for i in 0..<8 {
                let pair = SIMD32<Float>(lowHalf: v[2 &* i], highHalf: v[2 &* i &+ 1])
                u[i] = pair.evenHalf
                u[i &+ 8] = pair.oddHalf
            }
            v = u
        }
        for p in 0..<16 { store(p, v[p]) }
    }

    /// `packA` for an A read transposed: the rows×depth block of A is the transpose of the
    /// depth×rows matrix at `a` (row stride `lda`), so strip s holds, for p = 0 … depth−1, the
    /// mr values a[p·lda + mr·s … mr·s + mr − 1]: the strips `packB` makes of that matrix, mr wide.
    @inline(__always)
    private static func packA<Kernel: MicroKernel>(_: Kernel.Type, transposed a: UnsafePointer<Float>, lda: Int, rows: Int,
                                                   depth: Int, into packed: UnsafeMutablePointer<Float>) {
        packStrips(a, stride: lda, depth: depth, count: rows, width: Kernel.rows, into: packed)
    }

    /// Copies depth×columns of B into strips of the tile's columns (nr): strip s holds, for
    /// p = 0 … depth−1, the nr values B[p, nr·s … nr·s + nr − 1] side by side (zeros past the
    /// last column).
    static func packB(_ b: UnsafePointer<Float>, ldb: Int, depth: Int, columns: Int, tile: RegisterTile,
                      into packed: UnsafeMutablePointer<Float>) {
        switch tile {
        case .avx2: packB(MicroKernel6x16.self, b, ldb: ldb, depth: depth, columns: columns, into: packed)
        case .avx512: packB(MicroKernel12x32.self, b, ldb: ldb, depth: depth, columns: columns, into: packed)
        }
    }

    /// `packB` for `Kernel`'s columns, a constant here: a whole row of a strip is one fixed-size
    /// copy, not a call to `memmove`.
    @inline(__always)
    private static func packB<Kernel: MicroKernel>(_: Kernel.Type, _ b: UnsafePointer<Float>, ldb: Int, depth: Int,
                                                   columns: Int, into packed: UnsafeMutablePointer<Float>) {
        packStrips(b, stride: ldb, depth: depth, count: columns, width: Kernel.columns, into: packed)
    }

    /// Copies depth rows of `count` values (row stride `stride`) into strips `width` wide: strip s
    /// holds, for p = 0 … depth−1, the values at p·stride + width·s … + width − 1 side by side
    /// (zeros past the last). `width` is a kernel's constant, so a whole strip row is one
    /// fixed-size copy, not a call to `memmove`.
    @inline(__always)
    private static func packStrips(_ source: UnsafePointer<Float>, stride: Int, depth: Int, count: Int, width: Int,
                                   into packed: UnsafeMutablePointer<Float>) {
        var out = packed
        var c0 = 0
        while c0 < count {
            let valid = Swift.min(width, count - c0)
            for p in 0..<depth {
                let row = source + (p &* stride &+ c0)
                if valid == width {
                    copyRow(row, width: width, into: out)
                } else {
                    out.update(from: row, count: valid)
                    (out + valid).update(repeating: 0, count: width - valid)
                }
                out += width
            }
            c0 &+= width
        }
    }

    /// Copies `width` floats (a kernel's constant, so that the branches fold away) in vectors of
    /// 16, 8 and 4, the rest one by one: written as one `update(from:count:)`, the optimiser may merge it with
    /// the copy of a strip's last, shorter row, whose count is not a constant, and call `memmove`
    /// for every row of every strip.
    @inline(__always)
    private static func copyRow(_ row: UnsafePointer<Float>, width: Int, into out: UnsafeMutablePointer<Float>) {
        let (source, target) = (UnsafeRawPointer(row), UnsafeMutableRawPointer(out))
        var offset = 0
        while offset &+ 16 <= width {
            target.storeBytes(of: source.loadUnaligned(fromByteOffset: 4 &* offset, as: SIMD16<Float>.self),
                              toByteOffset: 4 &* offset, as: SIMD16<Float>.self)
            offset &+= 16
        }
        if width - offset >= 8 {
            target.storeBytes(of: source.loadUnaligned(fromByteOffset: 4 &* offset, as: SIMD8<Float>.self),
                              toByteOffset: 4 &* offset, as: SIMD8<Float>.self)
            offset &+= 8
        }
        if width - offset >= 4 {
            target.storeBytes(of: source.loadUnaligned(fromByteOffset: 4 &* offset, as: SIMD4<Float>.self),
                              toByteOffset: 4 &* offset, as: SIMD4<Float>.self)
            offset &+= 4
        }
        while offset < width {
            out[offset] = row[offset]
            offset &+= 1
        }
    }

    /// `packB` for a B read transposed: the depth×columns block of B is the transpose of the
    /// columns×depth matrix at `b` (row stride `ldb`), so strip s holds, for p = 0 … depth−1,
    /// the nr values b[(nr·s + l)·ldb + p], l = 0 … nr−1 (zeros past the last column). A whole
    /// strip is copied 16 terms at a time, as 16×16 blocks transposed in registers
    /// (`transposed16`; nr is a multiple of 16): read element by element, each of the nr values
    /// of a strip row would come from a different row of `b`.
    static func packB(transposed b: UnsafePointer<Float>, ldb: Int, depth: Int, columns: Int, tile: RegisterTile,
                      into packed: UnsafeMutablePointer<Float>) {
        let nr = tile.columns
        var out = packed
        var c0 = 0
        while c0 < columns {
            let valid = Swift.min(nr, columns - c0)
            let source = b + c0 &* ldb
            var p = 0
            if valid == nr && nr % 16 == 0 {
                while p &+ 16 <= depth {
                    var h = 0
                    while h < nr {
                        let bytes = UnsafeMutableRawPointer(out + h)
                        transposed16(source + (h &* ldb &+ p), lda: ldb, rows: 16) { q, column in
                            bytes.storeBytes(of: column, toByteOffset: q &* nr &* 4, as: SIMD16<Float>.self)
                        }
                        h &+= 16
                    }
                    out += 16 &* nr
                    p &+= 16
                }
            }
            while p < depth {
                for l in 0..<valid { out[l] = source[l &* ldb &+ p] }
                for l in valid..<nr { out[l] = 0 }
                out += nr
                p &+= 1
            }
            c0 &+= nr
        }
    }
}
