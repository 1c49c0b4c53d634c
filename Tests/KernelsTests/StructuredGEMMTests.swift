import Testing
@testable import Kernels

/// A product told what it may leave out (`GEMM.Structure`) computes every entry it is asked for
/// bit for bit as the dense product does — with A's zeros where the structure says they are —
/// on any tile, thread count, k-blocking and orientation of A, accumulating or not; and
/// `lowerOutput` leaves the tiles wholly above the diagonal as they were.
@Suite struct StructuredGEMMTests {
    /// Small blocks, so that k, n and m are each cut in several (k_c = 16, n_c = 64, m_c = 2 tiles).
    static let blockings: [GEMMBlocking] = RegisterTile.allCases.flatMap { tile in
        [GEMMBlocking.forThisMachine(tile: tile), GEMMBlocking(tile: tile, depth: 16, columns: 64, rows: 2 * tile.rows)]
    }

    /// C (m×n, row stride n) = A B through `multiply(unchecked:)`, A stored as given or transposed.
    static func product(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, transposedA: Bool, structure: GEMM.Structure,
                        threads: Int, blocking: GEMMBlocking, accumulateOnto start: [Float]?) -> [Float] {
        var c = start ?? [Float](repeating: .nan, count: m * n)
        let stored = transposedA ? (0..<k * m).map { a[($0 % m) * k + $0 / m] } : a
        stored.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    let left: GEMM.Operand = transposedA ? .transposed(pa.baseAddress!, stride: m) : .plain(pa.baseAddress!, stride: k)
                    GEMM.multiply(unchecked: left, .plain(pb.baseAddress!, stride: n), into: pc.baseAddress!, ldc: n, m: m, n: n,
                                  k: k, accumulate: start != nil, threads: threads, structure: structure, blocking: blocking)
                }
            }
        }
        return c
    }

    @Test(arguments: [[64, 64, 64], [65, 32, 65], [7, 40, 30], [100, 70, 100], [40, 33, 90]])
    func leavesOutOnlyZerosAndUnwantedTiles(shape: [Int]) {
        let (m, n, k) = (shape[0], shape[1], shape[2])
        let (dense, b) = operands(m: m, n: n, k: k, seed: UInt64(m * 31 + n * 7 + k))
        let start = (0..<m * n).map { Float($0 % 5) - 2 }
        for structure in [GEMM.Structure.lowerA, .upperA, .lowerOutput] {
            // A with the zeros the structure promises.
            let a = (0..<m * k).map { index -> Float in
                let (i, p) = (index / k, index % k)
                switch structure {
                case .lowerA: return p > i ? 0 : dense[index]
                case .upperA: return p < i ? 0 : dense[index]
                case .dense, .lowerOutput: return dense[index]
                }
            }
            for blocking in Self.blockings {
                let expected = Self.product(a, b, m: m, n: n, k: k, transposedA: false, structure: .dense, threads: 1,
                                            blocking: blocking, accumulateOnto: nil)
                let expectedOnto = Self.product(a, b, m: m, n: n, k: k, transposedA: false, structure: .dense, threads: 1,
                                                blocking: blocking, accumulateOnto: start)
                for (threads, transposedA) in [(1, false), (2, false), (1, true), (3, true)] {
                    for onto in [nil, start] {
                        let c = Self.product(a, b, m: m, n: n, k: k, transposedA: transposedA, structure: structure,
                                             threads: threads, blocking: blocking, accumulateOnto: onto)
                        let reference = onto == nil ? expected : expectedOnto
                        let what = "\(structure), \(blocking), \(threads) threads, Aᵀ \(transposedA), accumulate \(onto != nil), \(shape)"
                        if structure == .lowerOutput {
                            let wanted = (0..<m * n).filter { $0 % n <= $0 / n }
                            #expect(wanted.allSatisfy { c[$0].bitPattern == reference[$0].bitPattern }, "\(what): C_ij, j ≤ i")
                            // A tile wholly above the diagonal keeps what C held (NaN, or the start).
                            let tile = blocking.tile
                            let untouched = (0..<m * n).filter { ($0 % n) / tile.columns * tile.columns > (($0 / n) / tile.rows + 1) * tile.rows - 1 }
                            let before = onto ?? [Float](repeating: .nan, count: m * n)
                            #expect(untouched.allSatisfy { c[$0].bitPattern == before[$0].bitPattern }, "\(what): tiles above")
                        } else {
                            #expect(firstBitDifference(c, reference) == nil, "\(what)")
                        }
                    }
                }
            }
        }
    }
}
