import Matrices
import Testing
@testable import Kernels

/// The transpose of a rows×columns row-major buffer.
private func transposed(_ x: [Float], rows: Int, columns: Int) -> [Float] {
    (0..<columns * rows).map { index in x[(index % rows) * columns + index / rows] }
}

/// `GEMM.multiply(unchecked:…)` reads each operand as stored or transposed while packing it, so
/// it packs exactly the panels `blocked` packs from an explicit transpose: the products must be
/// equal bit for bit, on any number of threads, and with `accumulate` add onto C.
@Suite struct TransposedGEMMTests {
    @Test(arguments: [[1, 1, 1], [7, 33, 97], [97, 7, 33], [13, 17, 400], [50, 70, 6], [40, 64, 130], [25, 96, 47]])
    func everyOrientationEqualsTheExplicitTranspose(shape: [Int]) throws {
        let (m, n, k) = (shape[0], shape[1], shape[2])
        let (a, b) = operands(m: m, n: n, k: k, seed: UInt64(m * 7 + n * 3 + k))
        let expected = try GEMM.blocked(a, b, m: m, n: n, k: k)
        let aT = transposed(a, rows: m, columns: k), bT = transposed(b, rows: k, columns: n)
        // Both tiles: B's strips are 16 or 32 wide, packed from a transposed B 16 terms at a time.
        for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
            for (threads, tile) in [(1, RegisterTile.avx512), (3, .avx512), (1, .avx2), (2, .avx2)] {
                var c = [Float](repeating: 1, count: m * n)
                (transposeA ? aT : a).withUnsafeBufferPointer { pa in
                    (transposeB ? bT : b).withUnsafeBufferPointer { pb in
                        c.withUnsafeMutableBufferPointer { pc in
                            let left: GEMM.Operand = transposeA ? .transposed(pa.baseAddress!, stride: m) : .plain(pa.baseAddress!, stride: k)
                            let right: GEMM.Operand = transposeB ? .transposed(pb.baseAddress!, stride: k) : .plain(pb.baseAddress!, stride: n)
                            GEMM.multiply(unchecked: left, right, into: pc.baseAddress!, ldc: n, m: m, n: n, k: k,
                                          accumulate: false, threads: threads, blocking: .forThisMachine(tile: tile))
                        }
                    }
                }
                #expect(firstBitDifference(c, expected) == nil, "Aᵀ: \(transposeA), Bᵀ: \(transposeB), \(threads) threads, \(tile), \(shape)")
            }
        }
        // Accumulating onto C = 1 adds the product (k ≤ one panel deep: a single rounding per entry).
        guard k <= GEMMBlocking.selected.depth else { return }
        var c = [Float](repeating: 1, count: m * n)
        aT.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    GEMM.multiply(unchecked: .transposed(pa.baseAddress!, stride: m), .plain(pb.baseAddress!, stride: n),
                                  into: pc.baseAddress!, ldc: n, m: m, n: n, k: k, accumulate: true, threads: 2)
                }
            }
        }
        #expect(firstBitDifference(c, expected.map { 1 + $0 }) == nil, "accumulate onto 1, \(shape)")
    }
}
