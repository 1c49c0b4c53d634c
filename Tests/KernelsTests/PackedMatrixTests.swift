import Matrices
import Testing
@testable import Kernels

/// A B with B packed once equals the threaded product of the unpacked B bit for bit: same
/// blocks, same order of terms; at ragged sizes, several depth blocks and several panels.
@Suite struct PackedMatrixTests {
    @Test(arguments: [[1, 1, 1], [7, 33, 97], [97, 7, 33], [33, 97, 7], [13, 400, 1_000], [200, 37, 500]])
    func packedProductEqualsTheThreadedProduct(shape: [Int]) throws {
        let (m, n, k) = (shape[0], shape[1], shape[2])
        let (a, b) = operands(m: m, n: n, k: k, seed: UInt64(m + 1_000 * n + 17 * k))
        let packed = try PackedMatrix(b, rows: k, columns: n)
        let expected = try GEMM.threaded(a, b, m: m, n: n, k: k, threads: 1)
        for threads in [1, 2, 3] {
            var c: [Float] = []
            try GEMM.multiply(a, packed: packed, into: &c, m: m, threads: threads)
            #expect(firstBitDifference(c, expected) == nil, "\(m)×\(n)×\(k), \(threads) thread(s): packed ≠ threaded bitwise")
        }
        // A second product with the same packed B (the point of packing once).
        let (a2, _) = operands(m: m, n: n, k: k, seed: 99)
        var c2: [Float] = []
        try GEMM.multiply(a2, packed: packed, into: &c2, m: m, threads: 2)
        #expect(firstBitDifference(c2, try GEMM.threaded(a2, b, m: m, n: n, k: k, threads: 2)) == nil)
    }

    @Test func badInputThrowsNamedErrors() throws {
        #expect(throws: KernelError.self) { try PackedMatrix([], rows: 0, columns: 3) }
        #expect(throws: KernelError.self) { try PackedMatrix([1, 2, 3], rows: 2, columns: 2) }
        let packed = try PackedMatrix([1, 2, 3, 4, 5, 6], rows: 2, columns: 3)
        var c: [Float] = []
        #expect(throws: KernelError.self) { try GEMM.multiply([1, 2, 3], packed: packed, into: &c, m: 2) }
        #expect(throws: KernelError.self) { try GEMM.multiply([1, 2], packed: packed, into: &c, m: 1, threads: 0) }
        #expect(throws: KernelError.self) { try GEMM.multiply([], packed: packed, into: &c, m: 0) }
        try GEMM.multiply([1, 1], packed: packed, into: &c, m: 1)
        #expect(c == [5, 7, 9])
        do {
            _ = try PackedMatrix([1, 2, 3], rows: 2, columns: 2)
        } catch {
            #expect("\(error)".contains("B"), "the message names B: \(error)")
        }
    }
}
