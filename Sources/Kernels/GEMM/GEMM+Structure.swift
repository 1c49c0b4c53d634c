extension GEMM {
    /// What a product may leave out, known from where its operands come from — a causal head's
    /// T×T weights are zero above the diagonal, so half of each product with them is zeros:
    ///
    /// - `dense`: every term of every entry.
    /// - `lowerOutput`: only C_ij with j ≤ i is wanted (the scores S = Q Kᵀ of a causal head):
    ///   tiles wholly above the diagonal are not computed and keep whatever C held; the tiles the
    ///   diagonal crosses are computed whole.
    /// - `lowerA`: A_ip = 0 for p > i (O = A V with causal weights A): row i's sum stops at p = i,
    ///   or rather at the last row of its tile.
    /// - `upperA`: A_ip = 0 for p < i (dV = Aᵀ dO): row i's sum starts at p = i, or rather at the
    ///   first row of its tile.
    ///
    /// Rows and terms are numbered from the product's first (i, p = 0). Leaving out a term A_ip B_pj
    /// with A_ip = 0 adds nothing to a chain that starts from 0, so with finite operands every
    /// computed entry is bit-for-bit the dense product's.
    package enum Structure: Sendable, Equatable {
        case dense, lowerOutput, lowerA, upperA

        /// The terms p in `block` whose A_ip may be non-zero for some row i in `rows`.
        @inline(__always)
        func terms(rows: Range<Int>, block: Range<Int>) -> Range<Int> {
            switch self {
            case .dense, .lowerOutput:
                return block
            case .lowerA:
                return block.lowerBound..<Swift.max(block.lowerBound, Swift.min(block.upperBound, rows.upperBound))
            case .upperA:
                return Swift.min(block.upperBound, Swift.max(block.lowerBound, rows.lowerBound))..<block.upperBound
            }
        }
    }
}
