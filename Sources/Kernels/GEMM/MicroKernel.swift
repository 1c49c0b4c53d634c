/// The heart of the blocked GEMM: a tile of C held in `SIMD16<Float>` registers while a block of
/// k terms is added to it, one shape per instruction set (`RegisterTile`).
///
/// At step p it loads row p of the packed B strip (`columns` floats), broadcasts each of the
/// `rows` packed A values a_r of column p, and fuses the multiply–adds
///
///     c_r ← c_r + a_r b    (r = 0 … rows − 1, each c_r and b `columns` wide),
///
/// so rows × columns/16 vector FMAs cost columns/16 vector loads and `rows` broadcasts:
/// arithmetic, not memory, is the limit, and the accumulators are independent chains, enough
/// to hide the FMA latency.
///
/// `a` is the packed A strip (k × rows: column p's values contiguous), `b` the packed B strip
/// (k × columns: row p contiguous). The tile is written to `c` (row stride `ldc`), replacing it,
/// or added to it when `accumulate`: C ← C + (the tile's k-term sums), one rounding per entry.
/// Every entry's chain runs from 0 through p = 0 … k − 1 in order, whatever the tile's shape: two
/// tiles give bit-for-bit the same sums.
///
/// Each kernel is kept out of line and self-contained: inlined into the packing loops, the
/// optimiser juggled the loops' variables and the accumulators together and spilled; taking only
/// pointers, the call passes no SIMD16 value through memory. The accumulators are written out
/// one by one: the optimiser keeps named locals in registers, where it does not reliably keep
/// the elements of an array or tuple.
protocol MicroKernel {
    /// Rows of the tile.
    static var rows: Int { get }
    /// Columns of the tile, whole `SIMD16<Float>`s.
    static var columns: Int { get }
    /// C_tile (+)= the packed strips' k-term product.
    static func run(depth k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                    c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool)
}

/// Writes a micro-kernel's accumulators to C: `put(r, j, v)` stores (or, when accumulating, adds)
/// v as the j-th `SIMD16` of row r of the tile at `c`.
struct TileStore {
    let out: UnsafeMutableRawPointer
    /// Bytes from one row of C to the next.
    let stride: Int
    let accumulate: Bool

    @inline(__always)
    init(c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        (out, stride, self.accumulate) = (UnsafeMutableRawPointer(c), ldc &* 4, accumulate)
    }

    @inline(__always)
    func callAsFunction(_ row: Int, _ column: Int, _ v: SIMD16<Float>) {
        let offset = row &* stride &+ column &* 64
        if accumulate {
            out.storeBytes(of: out.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self) + v,
                           toByteOffset: offset, as: SIMD16<Float>.self)
        } else {
            out.storeBytes(of: v, toByteOffset: offset, as: SIMD16<Float>.self)
        }
    }
}

/// The 6×16 tile (`RegisterTile.avx2`): six `SIMD16` accumulators, 12 AVX2 registers.
enum MicroKernel6x16: MicroKernel {
    static var rows: Int { 6 }
    static var columns: Int { 16 }

    @inline(never)
    static func run(depth k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                    c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        typealias V = SIMD16<Float>
        var c0_0 = V()
        var c1_0 = V()
        var c2_0 = V()
        var c3_0 = V()
        var c4_0 = V()
        var c5_0 = V()
        var pa = a
        var pb = UnsafeRawPointer(b)
        for _ in 0..<k {
            let b0 = pb.loadUnaligned(fromByteOffset: 0, as: V.self)
            c0_0 = c0_0.addingProduct(V(repeating: pa[0]), b0)
            c1_0 = c1_0.addingProduct(V(repeating: pa[1]), b0)
            c2_0 = c2_0.addingProduct(V(repeating: pa[2]), b0)
            c3_0 = c3_0.addingProduct(V(repeating: pa[3]), b0)
            c4_0 = c4_0.addingProduct(V(repeating: pa[4]), b0)
            c5_0 = c5_0.addingProduct(V(repeating: pa[5]), b0)
            pa += 6
            pb += 64
        }
        let put = TileStore(c: c, ldc: ldc, accumulate: accumulate)
        put(0, 0, c0_0)
        put(1, 0, c1_0)
        put(2, 0, c2_0)
        put(3, 0, c3_0)
        put(4, 0, c4_0)
        put(5, 0, c5_0)
    }
}

/// The 12×32 tile (`RegisterTile.avx512`): 24 `SIMD16` accumulators, two per row, 24 AVX-512
/// registers; each broadcast of A feeds two FMAs.
enum MicroKernel12x32: MicroKernel {
    static var rows: Int { 12 }
    static var columns: Int { 32 }

    @inline(never)
    static func run(depth k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                    c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        typealias V = SIMD16<Float>
        var c0_0 = V(), c0_1 = V()
        var c1_0 = V(), c1_1 = V()
        var c2_0 = V(), c2_1 = V()
        var c3_0 = V(), c3_1 = V()
        var c4_0 = V(), c4_1 = V()
        var c5_0 = V(), c5_1 = V()
        var c6_0 = V(), c6_1 = V()
        var c7_0 = V(), c7_1 = V()
        var c8_0 = V(), c8_1 = V()
        var c9_0 = V(), c9_1 = V()
        var c10_0 = V(), c10_1 = V()
        var c11_0 = V(), c11_1 = V()
        var pa = a
        var pb = UnsafeRawPointer(b)
        for _ in 0..<k {
            let b0 = pb.loadUnaligned(fromByteOffset: 0, as: V.self), b1 = pb.loadUnaligned(fromByteOffset: 64, as: V.self)
            let a0 = V(repeating: pa[0])
            c0_0 = c0_0.addingProduct(a0, b0); c0_1 = c0_1.addingProduct(a0, b1)
            let a1 = V(repeating: pa[1])
            c1_0 = c1_0.addingProduct(a1, b0); c1_1 = c1_1.addingProduct(a1, b1)
            let a2 = V(repeating: pa[2])
            c2_0 = c2_0.addingProduct(a2, b0); c2_1 = c2_1.addingProduct(a2, b1)
            let a3 = V(repeating: pa[3])
            c3_0 = c3_0.addingProduct(a3, b0); c3_1 = c3_1.addingProduct(a3, b1)
            let a4 = V(repeating: pa[4])
            c4_0 = c4_0.addingProduct(a4, b0); c4_1 = c4_1.addingProduct(a4, b1)
            let a5 = V(repeating: pa[5])
            c5_0 = c5_0.addingProduct(a5, b0); c5_1 = c5_1.addingProduct(a5, b1)
            let a6 = V(repeating: pa[6])
            c6_0 = c6_0.addingProduct(a6, b0); c6_1 = c6_1.addingProduct(a6, b1)
            let a7 = V(repeating: pa[7])
            c7_0 = c7_0.addingProduct(a7, b0); c7_1 = c7_1.addingProduct(a7, b1)
            let a8 = V(repeating: pa[8])
            c8_0 = c8_0.addingProduct(a8, b0); c8_1 = c8_1.addingProduct(a8, b1)
            let a9 = V(repeating: pa[9])
            c9_0 = c9_0.addingProduct(a9, b0); c9_1 = c9_1.addingProduct(a9, b1)
            let a10 = V(repeating: pa[10])
            c10_0 = c10_0.addingProduct(a10, b0); c10_1 = c10_1.addingProduct(a10, b1)
            let a11 = V(repeating: pa[11])
            c11_0 = c11_0.addingProduct(a11, b0); c11_1 = c11_1.addingProduct(a11, b1)
            pa += 12
            pb += 128
        }
        let put = TileStore(c: c, ldc: ldc, accumulate: accumulate)
        put(0, 0, c0_0); put(0, 1, c0_1)
        put(1, 0, c1_0); put(1, 1, c1_1)
        put(2, 0, c2_0); put(2, 1, c2_1)
        put(3, 0, c3_0); put(3, 1, c3_1)
        put(4, 0, c4_0); put(4, 1, c4_1)
        put(5, 0, c5_0); put(5, 1, c5_1)
        put(6, 0, c6_0); put(6, 1, c6_1)
        put(7, 0, c7_0); put(7, 1, c7_1)
        put(8, 0, c8_0); put(8, 1, c8_1)
        put(9, 0, c9_0); put(9, 1, c9_1)
        put(10, 0, c10_0); put(10, 1, c10_1)
        put(11, 0, c11_0); put(11, 1, c11_1)
    }
}
