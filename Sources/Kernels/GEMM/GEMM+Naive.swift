extension GEMM {
    /// Rung 1, the definition: C_ij = Σ_p A_ip B_pj, one dot product per entry (loops i, j, k).
    ///
    /// The inner loop walks B down a column, n floats apart: every step touches a new cache line,
    /// so the loop waits on memory rather than arithmetic. Products and sums are rounded
    /// separately (no fused multiply–add), in the order p = 0, 1, …, k − 1.
    public static func naive(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) throws(KernelError) -> [Float] {
        try product(.naive, a, b, m: m, n: n, k: k)
    }

    static func naiveKernel(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                            m: Int, n: Int, k: Int) {
        // Wrapping index arithmetic: sizes were checked, and overflow checks would block the
        // optimiser (it must prove each index in range before it can keep the loop simple).
        for i in 0..<m {
            for j in 0..<n {
                var sum: Float = 0
                for p in 0..<k { sum += a[i &* k &+ p] * b[p &* n &+ j] }
                c[i &* n &+ j] = sum
            }
        }
    }
}
