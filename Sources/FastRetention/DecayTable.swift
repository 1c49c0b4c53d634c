import Kernels
import Retention

/// Row t of the decay mask D (paper Eq. 5) as a contiguous slice of one table of n + z floats
/// (z trailing zeros), so that a kernel can apply the decay and the causal mask on the fly,
/// many keys at a time, without ever building the n×n matrix D:
///
///     table = [γ^{n−1}, …, γ¹, γ⁰, 0, …, 0],    D_tm = table[n − 1 − t + m].
///
/// For m ≤ t the index is ≤ n − 1 and gives γ^{t−m}; for m > t it lands in the zeros: the
/// mask. The z trailing zeros let a read of z + 1 keys starting at any m ≤ t stay inside the
/// table: 15 for the row-wise kernel's 16-wide reads, a tile's width less one for the tiled
/// kernels. Read from the front, the same table is ζ_m = γ^{n−1−m}, the weights of a state
/// built from n rows. Each power is `Decay.power`, one `pow` call, as in the reference's D.
package struct DecayTable {
    package let length: Int
    package let values: [Float]

    package init(length n: Int, decay: Decay<Float>, trailingZeros: Int = 15) {
        length = n
        var values = [Float](repeating: 0, count: n + trailingZeros)
        for j in 0..<n { values[j] = decay.power(n - 1 - j) }
        self.values = values
    }
}
