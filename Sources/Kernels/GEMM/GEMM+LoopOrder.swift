extension GEMM {
    /// Rung 2, the loops reordered (i, k, j): for each row i of C and each p, add A_ip times
    /// row p of B to row i of C.
    ///
    /// Every entry still receives its terms in the order p = 0, 1, …, k − 1, each product and sum
    /// rounded separately, so the result is bit-for-bit the naive one. Only the memory walk
    /// changed: the inner loop reads B and C along rows, one cache line serves 16 floats, and the
    /// compiler may vectorise it (across j, which does not reorder any sum).
    public static func loopOrder(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) throws(KernelError) -> [Float] {
        try product(.loopOrder, a, b, m: m, n: n, k: k)
    }

    static func loopOrderKernel(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                                m: Int, n: Int, k: Int) {
        for i in 0..<m {
            let row = c + i &* n
            row.update(repeating: 0, count: n)
            for p in 0..<k {
                let x = a[i &* k &+ p]
                let bRow = b + p &* n
                for j in 0..<n { row[j] += x * bRow[j] }
            }
        }
    }
}
