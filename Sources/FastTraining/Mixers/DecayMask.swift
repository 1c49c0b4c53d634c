import FastRetention
import Retention

/// Retention's score map: A = S ⊙ D, D_tm = γ^{t−m} for m ≤ t and 0 above (Eq. 5); its backward
/// is the same mask, dS = dA ⊙ D. Each head has its own γ: the mask multiplies row t by
/// `table[L − 1 − t + m]` from one `DecayTable` per head (L values and L trailing zeros), which
/// masks any n×n matrix with n ≤ L: the parallel form's T×T scores (L = T), and the chunkwise
/// form's b×b scores of every chunk, the last shorter one included (L = B).
struct DecayMask: ScoreMap {
    let decays: [Decay<Float>]
    let tables: [DecayTable]

    /// The masks of `decays` for matrices up to L = `length` on a side; `previous`'s tables when
    /// they are for the same.
    init(_ decays: [Decay<Float>], length: Int, reusing previous: DecayMask?) {
        self.decays = decays
        if let previous, previous.decays == decays, previous.tables.first?.length == length {
            tables = previous.tables
        } else {
            tables = decays.map { DecayTable(length: length, decay: $0, trailingZeros: length) }
        }
    }

    func forward(_ s: UnsafeMutablePointer<Float>, length: Int, head: Int) { mask(s, length: length, head: head) }

    func backward(_ dA: UnsafeMutablePointer<Float>, weights: UnsafePointer<Float>, length: Int, head: Int) {
        mask(dA, length: length, head: head)
    }

    /// S ← S ⊙ D for an n×n matrix S, n ≤ L. Entries above the diagonal are set to 0, never read:
    /// the product that fills S leaves the tiles above the diagonal as they were
    /// (`GEMM.Structure.lowerOutput`).
    func mask(_ s: UnsafeMutablePointer<Float>, length n: Int, head: Int) {
        let side = tables[head].length
        tables[head].values.withUnsafeBufferPointer { table in
            for t in 0..<n {
                let decay = table.baseAddress! + (side - 1 - t), row = s + t * n
                for m in 0...t { row[m] *= decay[m] }
                for m in (t + 1)..<n { row[m] = 0 }
            }
        }
    }
}
