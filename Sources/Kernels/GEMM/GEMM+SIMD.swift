extension GEMM {
    /// Rung 3, explicit SIMD: the i-k-j loops with 16 columns of C at a time in one
    /// `SIMD16<Float>`, updated by a fused multiply–add, c ← c + x·b rounded once
    /// (`addingProduct`); columns past the last multiple of 16 take the scalar fused form.
    ///
    /// Fusing changes the rounding (one rounding per term instead of two), so this rung is no
    /// longer bit-for-bit the naive one; it is bit-for-bit `blocked` when k ≤ its panel depth,
    /// since both run each entry's fused chain from 0 in the order p = 0 … k − 1. C's row is
    /// still loaded and stored once per p: memory traffic, not arithmetic, bounds it.
    public static func simd(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) throws(KernelError) -> [Float] {
        try product(.simd, a, b, m: m, n: n, k: k)
    }

    static func simdKernel(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                           m: Int, n: Int, k: Int) {
        let vectorEnd = n - n % 16
        for i in 0..<m {
            let row = c + i &* n
            row.update(repeating: 0, count: n)
            let rowBytes = UnsafeMutableRawPointer(row)
            for p in 0..<k {
                let x = a[i &* k &+ p]
                let xs = SIMD16<Float>(repeating: x)
                let bRow = b + p &* n
                let bBytes = UnsafeRawPointer(bRow)
                var j = 0
                while j < vectorEnd {
                    let offset = j &* 4
                    let sum = rowBytes.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
                        .addingProduct(xs, bBytes.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self))
                    rowBytes.storeBytes(of: sum, toByteOffset: offset, as: SIMD16<Float>.self)
                    j &+= 16
                }
                while j < n {
                    row[j] = row[j].addingProduct(x, bRow[j])
                    j &+= 1
                }
            }
        }
    }
}
