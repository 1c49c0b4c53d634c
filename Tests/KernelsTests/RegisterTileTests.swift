import FastRetention
import Foundation
import Matrices
import Retention
import Testing
@testable import Kernels
import Measuring

/// Every register tile against the exact product at ragged sizes, with this machine's block
/// sizes and with small ones that cut even these sizes into several blocks of k, panels of B and
/// blocks of A; and how the tile is chosen.
@Suite struct RegisterTileTests {
    /// For every tile: this machine's blocking, and k_c = 16, n_c = 2 tiles, m_c = 2 tiles.
    static let blockings: [GEMMBlocking] = RegisterTile.allCases.flatMap { tile in
        [GEMMBlocking.forThisMachine(tile: tile),
         GEMMBlocking(tile: tile, depth: 16, columns: 2 * tile.columns, rows: 2 * tile.rows)]
    }
    /// 1, 7, 33, 97 (as the ladder's tests) and 13, 50: multiples of no tile's rows (6, 12) or
    /// columns (16, 32).
    static let sizes = [1, 7, 13, 33, 50, 97]
    static let shapes = sizes.flatMap { m in sizes.flatMap { n in sizes.map { k in [m, n, k] } } }

    @Test(arguments: shapes)
    func everyTileEqualsTheProductAtRaggedSizes(shape: [Int]) throws {
        let (m, n, k) = (shape[0], shape[1], shape[2])
        let (a, b) = operands(m: m, n: n, k: k, seed: UInt64(m * 7_919 + n * 104 + k))
        let accuracy = try GEMMAccuracy(a, b, m: m, n: n, k: k)
        let simd = try GEMM.simd(a, b, m: m, n: n, k: k)
        var byDepth: [Int: [Float]] = [:]
        for blocking in Self.blockings {
            let one = try GEMM.product(.blocked, a, b, m: m, n: n, k: k, blocking: blocking)
            let (ratio, at) = accuracy.error(of: one)
            #expect(ratio <= accuracy.bound, "\(blocking), \(m)×\(n)×\(k): |Δ|/(|A||B|) = \(ratio) > γ_k = \(accuracy.bound) at \(at)")
            for threads in [2, 3] {
                let many = try GEMM.product(.threaded, a, b, m: m, n: n, k: k, threads: threads, blocking: blocking)
                #expect(firstBitDifference(many, one) == nil, "\(blocking), \(m)×\(n)×\(k): \(threads) threads ≠ 1 bitwise")
            }
            // A B with B packed once for this blocking: the same blocks, the same bits.
            var packedProduct: [Float] = []
            let packed = PackedMatrix(unchecked: b, rows: k, columns: n, blocking: blocking)
            try GEMM.multiply(a, packed: packed, into: &packedProduct, m: m, threads: 2)
            #expect(firstBitDifference(packedProduct, one) == nil, "\(blocking), \(m)×\(n)×\(k): packed B ≠ B bitwise")
            // The tile never changes a sum: the same k_c gives the same bits, whatever the tile,
            // and one block of k gives the SIMD rung's fused chains.
            if let other = byDepth[blocking.depth] {
                #expect(firstBitDifference(one, other) == nil, "\(blocking), \(m)×\(n)×\(k): differs from another tile bitwise")
            }
            byDepth[blocking.depth] = one
            if k <= blocking.depth {
                #expect(firstBitDifference(one, simd) == nil, "\(blocking), \(m)×\(n)×\(k): ≠ SIMD rung bitwise")
            }
        }
    }

    /// The chunkwise and tiled parallel retention kernels run their GEMMs with either tile,
    /// within the retention kernels' bound (ragged n, d_k, d_v; chunks not multiples of a tile).
    @Test(arguments: [[97, 33, 17], [130, 16, 50], [7, 13, 1]], [GEMMBlocking.forThisMachine(tile: .avx2),
                                                                  GEMMBlocking.forThisMachine(tile: .avx512)])
    func retentionKernelsWithEitherTile(shape: [Int], blocking: GEMMBlocking) throws {
        let (n, dk, dv) = (shape[0], shape[1], shape[2])
        let decay = try Decay<Float>(1 - 1.0 / 32)
        let (q, k, v) = retentionInputs(n: n, dk: dk, dv: dv, seed: UInt64(n + dk + dv))
        let reference = try RetentionAccuracy(q: q, k: k, v: v, decay: decay)
        var state = [Float](repeating: 0, count: dk * dv)
        var tiledState = state
        var out = [Float](repeating: .nan, count: n * dv)
        var tiledOut = out
        q.storage.withUnsafeBufferPointer { q in
            k.storage.withUnsafeBufferPointer { k in
                v.storage.withUnsafeBufferPointer { v in
                    RetentionKernels.chunkwise(q: q.baseAddress!, k: k.baseAddress!, v: v.baseAddress!, rows: n, dk: dk, dv: dv,
                                               decay: decay, chunkSize: 37, into: &out, state: &state, blocking: blocking)
                    RetentionKernels.tiledParallel(q: q.baseAddress!, k: k.baseAddress!, v: v.baseAddress!, rows: n, dk: dk,
                                                   dv: dv, decay: decay, into: &tiledOut, state: &tiledState, blocking: blocking)
                }
            }
        }
        reference.expectClose(Matrix(rows: n, columns: dv, entries: out), "chunkwise, \(blocking)")
        reference.expectClose(Matrix(rows: n, columns: dv, entries: tiledOut), "tiled parallel, \(blocking)")
        var kernelState = RetentionKernelState(zeroKeyDimension: dk, valueDimension: dv)
        kernelState.s = state
        kernelState.position = n
        reference.expectStateClose(kernelState, "chunkwise, \(blocking)")
    }

    @Test func eachTileFitsTheRegistersOfItsInstructionSet() {
        // Accumulators and the B vectors, in SIMD16s, and one broadcast register: AVX2 holds a
        // SIMD16 in two of its 16 registers, AVX-512 in one of its 32.
        let avx2 = RegisterTile.avx2, avx512 = RegisterTile.avx512
        #expect(2 * (avx2.accumulators + avx2.columns / 16) + 1 <= 16, "6×16: \(avx2.accumulators) accumulators")
        #expect(avx512.accumulators + avx512.columns / 16 + 1 <= 32, "12×32: \(avx512.accumulators) accumulators")
        #expect(2 * (avx512.accumulators + avx512.columns / 16) + 1 > 16, "12×32 would spill on AVX2")
        // … and has enough independent chains for two FMA units of 4 cycles' latency: 8 vectors
        // of the instruction set's width.
        #expect(2 * avx2.accumulators >= 8 && avx512.accumulators >= 8)
        #expect(RegisterTile.avx2.kernel.rows == 6 && RegisterTile.avx2.kernel.columns == 16)
        #expect(RegisterTile.avx512.kernel.rows == 12 && RegisterTile.avx512.kernel.columns == 32)
    }

    @Test func theSelectionPicksTheAVX512TileWhenTheCPUReportsAVX512F() {
        #expect(RegisterTile.select(for: CPUFeatures(["fpu", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl"])) == .avx512)
        #expect(RegisterTile.select(for: CPUFeatures(["avx512f"])) == .avx512)
        #expect(RegisterTile.select(for: CPUFeatures(["fpu", "avx", "avx2", "fma"])) == .avx2)
        // AVX-512 extensions without the foundation do not count; nothing reported (another
        // architecture, no /proc/cpuinfo) gets the small tile.
        #expect(RegisterTile.select(for: CPUFeatures(["avx2", "avx512_vnni"])) == .avx2)
        #expect(RegisterTile.select(for: CPUFeatures([])) == .avx2)
    }

    @Test func cpuinfoFlagsAreRead() {
        let zen4 = """
            processor\t: 0
            model name\t: AMD EPYC
            flags\t\t: fpu vme sse2 avx fma avx2 avx512f avx512dq avx512bw avx512vl avx512_bf16
            bugs\t\t: sysret_ss_attrs

            processor\t: 1
            flags\t\t: fpu sse2
            """
        let features = CPUFeatures(cpuinfo: zen4)
        #expect(features.has("avx512f") && features.has("avx2") && features.has("fma") && features.has("avx512_bf16"))
        #expect(!features.has("sysret_ss_attrs") && !features.has("avx512"))
        #expect(RegisterTile.select(for: features) == .avx512)
        let zen3 = "processor\t: 0\nflags\t\t: fpu sse2 avx fma avx2 bmi2\n"
        #expect(RegisterTile.select(for: CPUFeatures(cpuinfo: zen3)) == .avx2)
        let arm = "processor\t: 0\nFeatures\t: fp asimd evtstrm aes\n"
        #expect(CPUFeatures(cpuinfo: arm).flags.isEmpty && RegisterTile.select(for: CPUFeatures(cpuinfo: arm)) == .avx2)
        #expect(CPUFeatures(cpuinfo: "").flags.isEmpty && CPUFeatures(cpuinfo: "flags without a colon").flags.isEmpty)
    }

    @Test func thisMachinesTile() throws {
        let selected = RegisterTile.selected
        #expect(selected == RegisterTile.select(for: .current))
        #expect(GEMMBlocking.selected.tile == selected && GEMM.Rung.threaded.blocking == .selected)
        #if os(Linux)
        let text = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let reportsAVX512F = text.split(separator: "\n").contains { $0.hasPrefix("flags") && $0.split(separator: " ").contains("avx512f") }
        #expect(selected == (reportsAVX512F ? .avx512 : .avx2), "/proc/cpuinfo avx512f: \(reportsAVX512F), tile \(selected)")
        #endif
        print("This machine: \(selected.rows)×\(selected.columns) tile (\(selected.instructionSet)); "
              + "\(GEMMBlocking.selected); caches \(CacheSizes.current.map { "\($0)" } ?? "unreadable")")
    }
}
