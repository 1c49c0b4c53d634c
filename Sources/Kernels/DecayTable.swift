import Retention

/// Row t of the decay mask D (paper Eq. 5) as a contiguous slice of one table of n + 15
/// floats, so that a kernel can apply the decay and the causal mask on the fly, 16 keys at a
/// time, without ever building the n×n matrix D:
///
///     table = [γ^{n−1}, …, γ¹, γ⁰, 0, …, 0],    D_tm = table[n − 1 − t + m].
///
/// For m ≤ t the index is ≤ n − 1 and gives γ^{t−m}; for m > t it lands in the zeros: the
/// mask. The 15 trailing zeros let a 16-wide read starting at any m ≤ t stay inside the table.
/// Each power is `Decay.power`, one `pow` call, as in the reference's D.
struct DecayTable {
    let length: Int
    let values: [Float]

    init(length n: Int, decay: Decay<Float>) {
        length = n
        var values = [Float](repeating: 0, count: n + 15)
        for j in 0..<n { values[j] = decay.power(n - 1 - j) }
        self.values = values
    }
}
