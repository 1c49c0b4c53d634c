import Matrices
import Testing
@testable import Kernels
import Measuring

/// Random Float matrices, seeded: A (m×k) and B (k×n).
func operands(m: Int, n: Int, k: Int, seed: UInt64) -> (a: [Float], b: [Float]) {
    var rng = SplitMix64(seed: seed)
    let a = (0..<m * k).map { _ in Float(rng.nextGaussian()) }
    let b = (0..<k * n).map { _ in Float(rng.nextGaussian()) }
    return (a, b)
}

/// The index of the first entry where two buffers differ in their bits, if any.
func firstBitDifference(_ x: [Float], _ y: [Float]) -> Int? {
    guard x.count == y.count else { return -1 }
    return x.indices.first { x[$0].bitPattern != y[$0].bitPattern }
}

/// Every rung, at sizes that are not multiples of any register tile (1, 7, 33, 97 in every
/// combination: neither of 6 or 12 rows nor of 16 or 32 columns), is within the rounding bound
/// of the exact product; the rungs that perform the same operations in the same order are
/// bit-for-bit equal.
@Suite struct GEMMLadderTests {
    static let sizes = [1, 7, 33, 97]
    static let shapes = sizes.flatMap { m in sizes.flatMap { n in sizes.map { k in [m, n, k] } } }

    @Test(arguments: shapes)
    func everyRungAtRaggedSizes(shape: [Int]) throws {
        let (m, n, k) = (shape[0], shape[1], shape[2])
        let (a, b) = operands(m: m, n: n, k: k, seed: UInt64(m * 10_000 + n * 100 + k))
        let accuracy = try GEMMAccuracy(a, b, m: m, n: n, k: k)
        var results: [GEMM.Rung: [Float]] = [:]
        for rung in GEMM.Rung.allCases {
            let c = try GEMM.product(rung, a, b, m: m, n: n, k: k, threads: 2)
            let (ratio, at) = accuracy.error(of: c)
            #expect(ratio <= accuracy.bound,
                    "\(rung) \(m)×\(n)×\(k): |Δ|/(|A||B|) = \(ratio) > γ_k = \(accuracy.bound) at C[\(at / n), \(at % n)]")
            results[rung] = c
        }
        // Same products and sums in the same order: naive and loop order; the fused chains of
        // the SIMD rung and of the blocked kernels (either tile) while k fits one block; the
        // blocked kernel on 1 and 2 threads.
        #expect(firstBitDifference(results[.loopOrder]!, results[.naive]!) == nil, "loop order ≠ naive bitwise")
        let depths = GEMM.Rung.allCases.compactMap { $0.blocking?.depth }
        #expect(depths.allSatisfy { k <= $0 }, "k = \(k) exceeds a block depth \(depths)")
        #expect(firstBitDifference(results[.blocked]!, results[.simd]!) == nil, "blocked ≠ SIMD bitwise")
        #expect(firstBitDifference(results[.blockedWide]!, results[.simd]!) == nil, "blocked 12×32 ≠ SIMD bitwise")
        #expect(firstBitDifference(results[.threaded]!, results[.blocked]!) == nil, "2 threads ≠ 1 bitwise")
    }

    @Test func aDepthOfSeveralPanelsStaysWithinTheBound() throws {
        // k = 1,000 is several blocks of k_c (at most 1,024 by construction, 384 without caches)
        // on most machines, and a ragged last one.
        let (m, n, k) = (13, 35, 1_000)
        let (a, b) = operands(m: m, n: n, k: k, seed: 7)
        let accuracy = try GEMMAccuracy(a, b, m: m, n: n, k: k)
        for rung in GEMM.Rung.allCases {
            let c = try GEMM.product(rung, a, b, m: m, n: n, k: k, threads: 2)
            #expect(accuracy.error(of: c).ratio <= accuracy.bound, "\(rung): \(accuracy.error(of: c))")
        }
    }

    @Test(arguments: [1, 5, 6, 7, 13, 97, 200])
    func threadCountsGiveBitIdenticalResults(m: Int) throws {
        let (n, k) = (37, 500)
        let (a, b) = operands(m: m, n: n, k: k, seed: UInt64(m))
        let one = try GEMM.threaded(a, b, m: m, n: n, k: k, threads: 1)
        for threads in 2...5 {
            let many = try GEMM.threaded(a, b, m: m, n: n, k: k, threads: threads)
            #expect(firstBitDifference(many, one) == nil, "\(threads) threads differ from 1 at m = \(m)")
        }
        #expect(firstBitDifference(try GEMM.blocked(a, b, m: m, n: n, k: k), one) == nil)
    }

    @Test(arguments: RegisterTile.allCases)
    func rowBandsCoverEveryRowOnce(tile: RegisterTile) {
        let mr = tile.rows
        for m in 1...60 {
            for threads in 1...7 {
                let tiles = (m + mr - 1) / mr
                let bands = (0..<threads).map { GEMM.rows(ofTiles: Bands.band($0, of: threads, count: tiles), in: m, tileRows: mr) }
                let covered = bands.flatMap { Array($0) }
                #expect(covered == Array(0..<m), "m = \(m), threads = \(threads): \(bands)")
                // Every band but the one holding row m − 1 is whole tiles.
                #expect(bands.allSatisfy { $0.isEmpty || $0.lowerBound % mr == 0 })
            }
        }
    }

    /// The blocked kernel on blocks inside larger buffers: A and B surrounded by NaN (any read
    /// outside the block would turn a result NaN), C by sentinels (any write outside would
    /// change one). Both accumulate modes.
    @Test(arguments: [[1, 1, 1], [7, 33, 97], [97, 7, 33], [13, 17, 384], [13, 17, 400], [25, 70, 50]],
          RegisterTileTests.blockings)
    func theBlockedKernelTouchesNothingOutsideItsBlocks(shape: [Int], blocking: GEMMBlocking) throws {
        let (m, n, k) = (shape[0], shape[1], shape[2])
        let (a, b) = operands(m: m, n: n, k: k, seed: 11)
        let (lda, ldb, ldc, margin) = (k + 5, n + 3, n + 7, 64)
        var guardedA = [Float](repeating: .nan, count: margin * 2 + m * lda)
        var guardedB = [Float](repeating: .nan, count: margin * 2 + k * ldb)
        var guardedC = [Float](repeating: -12_345, count: margin * 2 + m * ldc)
        for i in 0..<m { for p in 0..<k { guardedA[margin + i * lda + p] = a[i * k + p] } }
        for p in 0..<k { for j in 0..<n { guardedB[margin + p * ldb + j] = b[p * n + j] } }
        let expected = try GEMM.product(.blocked, a, b, m: m, n: n, k: k, blocking: blocking)
        for accumulate in [false, true] {
            guardedA.withUnsafeBufferPointer { pa in
                guardedB.withUnsafeBufferPointer { pb in
                    guardedC.withUnsafeMutableBufferPointer { pc in
                        GEMM.blockedKernel(pa.baseAddress! + margin, lda: lda, pb.baseAddress! + margin, ldb: ldb,
                                           pc.baseAddress! + margin, ldc: ldc, m: m, n: n, k: k, accumulate: accumulate,
                                           blocking: blocking)
                    }
                }
            }
            for index in guardedC.indices {
                let offset = index - margin
                let (i, j) = (offset / ldc, offset % ldc)
                let inside = offset >= 0 && i < m && j < n
                if !inside {
                    #expect(guardedC[index] == -12_345, "wrote outside C at buffer index \(index)")
                } else if accumulate {
                    // The second pass added A B to the first pass's A B: exactly 2 A B while k fits
                    // one block (one addition per entry); deeper, each block is added in turn.
                    guard k <= blocking.depth else { continue }
                    let once = expected[i * n + j]
                    #expect(guardedC[index] == once + once, "C[\(i), \(j)] = \(guardedC[index]), expected 2 × \(once)")
                } else {
                    #expect(guardedC[index] == expected[i * n + j], "C[\(i), \(j)] read outside A or B")
                }
            }
        }
    }

    @Test func theAccuracyCheckCatchesOneMissingTerm() throws {
        let (m, n, k) = (7, 9, 33)
        let (a, b) = operands(m: m, n: n, k: k, seed: 3)
        let accuracy = try GEMMAccuracy(a, b, m: m, n: n, k: k)
        var c = try GEMM.blocked(a, b, m: m, n: n, k: k)
        #expect(accuracy.holds(for: c))
        c[4 * n + 5] -= a[4 * k + 32] * b[32 * n + 5]  // drop the last term of C[4, 5]
        #expect(!accuracy.holds(for: c))
        #expect(accuracy.error(of: c).index == 4 * n + 5)
        c[0] = .nan
        #expect(accuracy.error(of: c).ratio == .infinity)
        #expect(accuracy.error(of: [1, 2]).ratio == .infinity)  // wrong length
    }
}

/// Bad arguments are reported, never trapped on.
@Suite struct GEMMErrorTests {
    @Test(arguments: GEMM.Rung.allCases)
    func badSizesAndBuffersThrow(rung: GEMM.Rung) {
        let a = [Float](repeating: 1, count: 6), b = [Float](repeating: 1, count: 6)
        #expect(throws: KernelError.size(argument: "m (rows of A and C)", got: 0)) {
            try GEMM.product(rung, a, b, m: 0, n: 2, k: 3)
        }
        #expect(throws: KernelError.size(argument: "n (columns of B and C)", got: -2)) {
            try GEMM.product(rung, a, b, m: 2, n: -2, k: 3)
        }
        #expect(throws: KernelError.size(argument: "k (columns of A, rows of B)", got: 0)) {
            try GEMM.product(rung, a, b, m: 2, n: 2, k: 0)
        }
        #expect(throws: KernelError.threads(0)) { try GEMM.product(rung, a, b, m: 2, n: 2, k: 3, threads: 0) }
        #expect(throws: KernelError.count(argument: "A", expected: "m×k = 3×3 = 9", got: 6)) {
            try GEMM.product(rung, a, b, m: 3, n: 2, k: 3)
        }
        #expect(throws: KernelError.count(argument: "B", expected: "k×n = 3×3 = 9", got: 6)) {
            try GEMM.product(rung, a, b, m: 2, n: 3, k: 3)
        }
        #expect(throws: KernelError.tooLarge("A (m×k)")) { try GEMM.product(rung, a, b, m: Int.max, n: 2, k: 3) }
    }

    @Test func messagesNameTheArgument() {
        #expect(KernelError.size(argument: "m", got: 0).description == "m must be ≥ 1, got 0")
        #expect(KernelError.threads(-1).description == "the thread count must be ≥ 1, got -1")
        #expect(KernelError.count(argument: "A", expected: "m×k = 3×3 = 9", got: 6).description
            == "A: expected m×k = 3×3 = 9 entries, got 6")
        #expect(throws: KernelError.threads(0)) { try FMAPeak.measure(threads: 0) }
    }

    @Test func multiplyReusesAnOutputOfTheRightSize() throws {
        let (a, b) = operands(m: 3, n: 4, k: 5, seed: 1)
        var c = [Float](repeating: .nan, count: 12)
        try GEMM.multiply(.blocked, a, b, into: &c, m: 3, n: 4, k: 5)
        #expect(firstBitDifference(c, try GEMM.blocked(a, b, m: 3, n: 4, k: 5)) == nil)
        var wrong: [Float] = [1]
        try GEMM.multiply(.simd, a, b, into: &wrong, m: 3, n: 4, k: 5)
        #expect(wrong.count == 12)
    }
}
