/// The heart of the blocked GEMM: a 6×16 tile of C held in six `SIMD16<Float>` registers while
/// a block of k terms is added to it.
///
/// At step p it loads row p of the packed B strip (16 floats, one vector b), broadcasts each of
/// the 6 packed A values a_r of column p, and fuses 6 multiply–adds,
///
///     c_r ← c_r + a_r b    (r = 0 … 5),
///
/// so 6 vector FMAs (192 flops) cost one vector load and 6 broadcasts: arithmetic, not memory,
/// is the limit. The six accumulators are independent chains, enough to hide the FMA latency.
///
/// Why 6×16 and not 6×32: each tile row of 32 needs two SIMD16 registers, 12 accumulators in
/// all. With AVX-512 (32 registers of 16 floats) that fits; with AVX2 (16 registers of 8
/// floats, where a SIMD16 takes two) it needs 24 registers for the accumulators alone and
/// spills. This machine's CPU reports AVX2 and FMA but not AVX-512, so here the 6×16 tile
/// (12 AVX2 registers of accumulators, 2 for b, 1 for a broadcast: 15 of 16) is the one that
/// fits, and it is the one measured faster; on AVX-512 it uses 8 of 32 registers.
///
/// `a` is the packed A strip (k × 6: column p's six values contiguous), `b` the packed B strip
/// (k × 16: row p contiguous). The tile is written to `c` (row stride `ldc`), replacing it, or
/// added to it when `accumulate`: C ← C + (the tile's k-term sums), one rounding per entry.
///
/// Kept out of line and self-contained: inlined into the packing loops, the optimiser juggled
/// the loops' variables and the accumulators together and spilled; taking only pointers, the
/// call passes no SIMD16 value through memory.
@inline(never)
func microKernel6x16(depth k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                     c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
    typealias V = SIMD16<Float>
    var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V()
    var pa = a
    var pb = UnsafeRawPointer(b)
    for _ in 0..<k {
        let b0 = pb.loadUnaligned(as: V.self)
        c0 = c0.addingProduct(V(repeating: pa[0]), b0)
        c1 = c1.addingProduct(V(repeating: pa[1]), b0)
        c2 = c2.addingProduct(V(repeating: pa[2]), b0)
        c3 = c3.addingProduct(V(repeating: pa[3]), b0)
        c4 = c4.addingProduct(V(repeating: pa[4]), b0)
        c5 = c5.addingProduct(V(repeating: pa[5]), b0)
        pa += 6
        pb += 64
    }
    let out = UnsafeMutableRawPointer(c)
    let stride = ldc &* 4
    @inline(__always) func put(_ row: Int, _ v: V) {
        let offset = row &* stride
        if accumulate {
            out.storeBytes(of: out.loadUnaligned(fromByteOffset: offset, as: V.self) + v, toByteOffset: offset, as: V.self)
        } else {
            out.storeBytes(of: v, toByteOffset: offset, as: V.self)
        }
    }
    put(0, c0); put(1, c1); put(2, c2); put(3, c3); put(4, c4); put(5, c5)
}
