/// C = A B for Float matrices stored row-major in flat buffers: A is m×k, B is k×n, C is m×n,
/// and entry (i, j) of an r×c matrix sits at index i·c + j.
///
/// Each rung of chapter 08's ladder is one public function, from the three textbook loops to a
/// packed, register-blocked, two-thread kernel; all compute the same sums
///
///     C_ij = Σ_{p<k} A_ip B_pj,
///
/// in different orders and with different roundings (see `GEMMAccuracy` for how far each may be
/// from the exact product, and which rungs are bit-for-bit equal).
///
/// Every function checks its sizes (m, n, k ≥ 1), the buffers' lengths (m·k, k·n) and the thread
/// count (1...`ThreadCount.maximum`), and throws `KernelError` instead of trapping. Any m, n, k is handled: the
/// blocked kernels pad their packed tiles with zeros and never read or write outside A, B or C.
public enum GEMM {
    /// The rungs of the ladder, slowest first.
    public enum Rung: String, CaseIterable, Sendable {
        /// i-j-k: a dot product per entry, walking B down a column (`GEMM.naive`).
        case naive
        /// i-k-j: the same sums, with B and C read along rows (`GEMM.loopOrder`).
        case loopOrder = "loop-order"
        /// i-k-j with 16 columns of C per `SIMD16<Float>` fused multiply–add (`GEMM.simd`).
        case simd
        /// Packed panels and a 6×16 register tile, sized for AVX2 (`GEMM.blocked`).
        case blocked
        /// Packed panels and a 12×32 register tile, sized for AVX-512 (`GEMM.blockedWide`).
        case blockedWide = "blocked-wide"
        /// The blocked kernel with this machine's tile on several threads, rows split between
        /// them (`GEMM.threaded`).
        case threaded

        /// How the ladder names the rung in tables.
        public var title: String {
            switch self {
            case .naive: "naive (i-j-k)"
            case .loopOrder: "loop order (i-k-j)"
            case .simd: "SIMD16 inner loop"
            case .blocked: "packed 6×16 micro-kernel"
            case .blockedWide: "packed 12×32 micro-kernel"
            case .threaded: "micro-kernel, threads"
            }
        }

        /// The blocking a packed rung uses on this machine: its own tile for `blocked` and
        /// `blockedWide`, the machine's tile (`RegisterTile.selected`) for `threaded`; nil for the
        /// rungs without packing.
        package var blocking: GEMMBlocking? {
            switch self {
            case .naive, .loopOrder, .simd: nil
            case .blocked: .forThisMachine(tile: .avx2)
            case .blockedWide: .forThisMachine(tile: .avx512)
            case .threaded: .selected
            }
        }
    }

    /// C = A B by `rung`, written into `c` (resized to m·n if needed; no allocation when it
    /// already has that size). `threads` is used by `.threaded` only and must be in 1...`ThreadCount.maximum` for all.
    public static func multiply(_ rung: Rung, _ a: [Float], _ b: [Float], into c: inout [Float],
                                m: Int, n: Int, k: Int, threads: Int = 1) throws(KernelError) {
        try multiply(rung, a, b, into: &c, m: m, n: n, k: k, threads: threads, blocking: rung.blocking ?? .selected)
    }

    /// C = A B by `rung`, the packed rungs cut as `blocking` says (its tile included) rather than
    /// as they are on this machine: for tests of every tile and for tuning (`bench gemm --tile`).
    package static func multiply(_ rung: Rung, _ a: [Float], _ b: [Float], into c: inout [Float],
                                 m: Int, n: Int, k: Int, threads: Int, blocking: GEMMBlocking) throws(KernelError) {
        try checkArguments(a, b, m: m, n: n, k: k, threads: threads)
        let count = m * n
        if c.count != count { c = [Float](repeating: 0, count: count) }
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    let (pa, pb, pc) = (a.baseAddress!, b.baseAddress!, c.baseAddress!)
                    switch rung {
                    case .naive: naiveKernel(pa, pb, pc, m: m, n: n, k: k)
                    case .loopOrder: loopOrderKernel(pa, pb, pc, m: m, n: n, k: k)
                    case .simd: simdKernel(pa, pb, pc, m: m, n: n, k: k)
                    case .blocked, .blockedWide:
                        blockedKernel(pa, lda: k, pb, ldb: n, pc, ldc: n, m: m, n: n, k: k, accumulate: false,
                                      blocking: blocking)
                    case .threaded:
                        rowBands(m, threads: threads, tileRows: blocking.tile.rows) { band in
                            blockedKernel(pa + band.lowerBound * k, lda: k, pb, ldb: n, pc + band.lowerBound * n, ldc: n,
                                          m: band.count, n: n, k: k, accumulate: false, blocking: blocking)
                        }
                    }
                }
            }
        }
    }

    /// C = A B by `rung`, as a new m·n buffer.
    public static func product(_ rung: Rung, _ a: [Float], _ b: [Float], m: Int, n: Int, k: Int,
                               threads: Int = 1) throws(KernelError) -> [Float] {
        var c: [Float] = []
        try multiply(rung, a, b, into: &c, m: m, n: n, k: k, threads: threads)
        return c
    }

    /// C = A B by `rung` cut as `blocking` says, as a new m·n buffer.
    package static func product(_ rung: Rung, _ a: [Float], _ b: [Float], m: Int, n: Int, k: Int,
                                threads: Int = 1, blocking: GEMMBlocking) throws(KernelError) -> [Float] {
        var c: [Float] = []
        try multiply(rung, a, b, into: &c, m: m, n: n, k: k, threads: threads, blocking: blocking)
        return c
    }

    /// 2 m n k: the floating-point operations of one product (a multiply and an add per term).
    public static func flops(m: Int, n: Int, k: Int) -> Double {
        2 * Double(m) * Double(n) * Double(k)
    }

    /// The checks every rung shares, so that all reject the same inputs with the same words.
    package static func checkArguments(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, threads: Int) throws(KernelError) {
        try KernelError.requirePositive(m, "m (rows of A and C)")
        try KernelError.requirePositive(n, "n (columns of B and C)")
        try KernelError.requirePositive(k, "k (columns of A, rows of B)")
        try KernelError.requireThreads(threads)
        try checkCount(a, "A", "m×k", rows: m, columns: k)
        try checkCount(b, "B", "k×n", rows: k, columns: n)
        _ = try KernelError.product(m, n, "C (m×n)")
    }

    /// `buffer` must hold rows·columns floats (a product that does not overflow): the words for
    /// operand `name`, whose shape reads `shape` (e.g. "m×k").
    package static func checkCount(_ buffer: [Float], _ name: String, _ shape: String, rows: Int, columns: Int) throws(KernelError) {
        let count = try KernelError.product(rows, columns, "\(name) (\(shape))")
        guard buffer.count == count else {
            throw .count(argument: name, expected: "\(shape) = \(rows)×\(columns) = \(count)", got: buffer.count)
        }
    }
}
