/// The B of C = A B packed once, in the order the blocked GEMM's micro-kernel reads it
/// (`GEMM.packB(all:)`): for a B that multiplies many A's — a model's weight, used by every
/// forward pass — the packing is paid once instead of on every product.
///
/// `GEMM.multiply(_:packed:into:m:threads:)` then gives bit-for-bit what `GEMM.threaded` gives
/// for the unpacked B: the same blocks, the same order of terms.
public struct PackedMatrix: Sendable {
    /// k: rows of B.
    public let rows: Int
    /// n: columns of B.
    public let columns: Int
    /// The tile and block sizes B is packed for, which every product with it uses.
    package let blocking: GEMMBlocking
    let storage: [Float]

    /// Packs B, k×n, row-major. Throws for k or n < 1 or a buffer without k·n floats.
    public init(_ b: [Float], rows k: Int, columns n: Int) throws(KernelError) {
        try KernelError.requirePositive(k, "k (rows of B)")
        try KernelError.requirePositive(n, "n (columns of B)")
        try GEMM.checkCount(b, "B", "k×n", rows: k, columns: n)
        self.init(unchecked: b, rows: k, columns: n)
    }

    /// Packs B, unchecked: b holds k·n floats, k, n ≥ 0, as the caller knows; for `blocking`
    /// (this machine's tile and caches unless told otherwise).
    package init(unchecked b: [Float], rows k: Int, columns n: Int, blocking: GEMMBlocking = .selected) {
        var storage = [Float](repeating: 0, count: GEMM.packedCount(k: k, n: n, blocking: blocking))
        b.withUnsafeBufferPointer { b in
            storage.withUnsafeMutableBufferPointer { packed in
                GEMM.packB(all: b.baseAddress!, ldb: n, depth: k, columns: n, into: packed.baseAddress!, blocking: blocking)
            }
        }
        (rows, columns, self.blocking, self.storage) = (k, n, blocking, storage)
    }
}

extension GEMM {
    /// C = A B for A (m×k) and B packed (k×n), rows of C split between `threads` threads as in
    /// `threaded`; C is resized to m·n if needed.
    public static func multiply(_ a: [Float], packed b: PackedMatrix, into c: inout [Float], m: Int,
                                threads: Int = 1) throws(KernelError) {
        try KernelError.requirePositive(m, "m (rows of A and C)")
        try KernelError.requireThreads(threads)
        let (k, n) = (b.rows, b.columns)
        try checkCount(a, "A", "m×k", rows: m, columns: k)
        let cCount = try KernelError.product(m, n, "C (m×n)")
        if c.count != cCount { c = [Float](repeating: 0, count: cCount) }
        a.withUnsafeBufferPointer { a in
            c.withUnsafeMutableBufferPointer { c in
                multiply(unchecked: a.baseAddress!, packed: b, into: c.baseAddress!, m: m, threads: threads)
            }
        }
    }

    /// C = A B on raw memory, unchecked: A holds m×k floats and C room for m×n, for B packed
    /// (k×n), m ≥ 0 and threads ≥ 1, as the caller knows. (The label keeps an array and an
    /// `inout` array from converting to these pointers and landing here unchecked.)
    package static func multiply(unchecked a: UnsafePointer<Float>, packed b: PackedMatrix,
                                 into c: UnsafeMutablePointer<Float>, m: Int, threads: Int) {
        let (k, n) = (b.rows, b.columns)
        b.storage.withUnsafeBufferPointer { packed in
            let pb = packed.baseAddress!
            rowGroups(m, threads: threads, n: n, k: k, blocking: b.blocking) { band in
                blockedKernel(a + band.lowerBound * k, lda: k, packed: pb, c + band.lowerBound * n, ldc: n,
                              m: band.count, n: n, k: k, accumulate: false, blocking: b.blocking)
            }
        }
    }
}
