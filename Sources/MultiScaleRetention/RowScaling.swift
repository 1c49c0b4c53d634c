import Matrices
import Retention

/// The paper's retention score normalisations (Sec. 2.2, "retention score normalization"), and
/// the per-row factors torchscale 0.3.0's three modes multiply each head's rows by.
///
/// The paper normalises three things for numerical stability:
///
///     QKᵀ/√d                        (a constant: torchscale applies it as k ·= d_k^{−1/2})
///     D̃_nm = D_nm / √(Σ_i D_ni)     (each row of D by the root of its sum)
///     R̃_nm = R_nm / max(|Σ_i R_ni|, 1),   R = QKᵀ ⊙ D̃
///
/// Each is a positive factor on a whole row of one head's scores, so it multiplies that head's
/// output row by the same factor, and the per-head norm removes it when ε = 0 (`HeadNorm`). This
/// package computes exact retention, (Q Kᵀ ⊙ D) V, in every form; these factors exist so that a
/// chapter can show where they vanish and how much they matter when ε > 0.
///
/// torchscale's modes are each exact retention times a different row factor:
/// - parallel: D̃ then R̃ (`.paper`);
/// - recurrent: its state is S_n/√(Σ_{p≤n} γ^p), which is D̃ alone (`.decay`);
/// - chunkwise with chunk size B: for row n = iB + j (j inside the chunk), with s_j = Σ_{p≤j} γ^p,
///   1 / (√s_j · max(a_n, c_{i−1})), where a_n = max(Σ_{iB≤m≤n} |Q_n·K_m| γ^{n−m} / √s_j, 1) is
///   its `inner_scale` and c_{i−1} = max(max_col Σ_row |R_{i−1}| / Σ_{p<B} γ^p, 1) its `kv_scale`
///   of the state after the previous chunk (c_{−1} = 1). Note √s_j: the decay normalisation
///   restarts in every chunk, so these factors differ from the parallel mode's by large amounts.
public enum RowScaling: Sendable, Equatable {
    /// No factor: exact retention (what every form in this package computes).
    case exact
    /// D̃ alone: 1/√(Σ_{m≤n} γ^{n−m}). torchscale's recurrent mode.
    case decay
    /// R̃ alone, on the unnormalised scores: 1/max(|Σ_m (QKᵀ ⊙ D)_nm|, 1).
    case retention
    /// D̃ then R̃, as the paper writes them. torchscale's parallel mode.
    case paper
    /// torchscale's chunkwise mode with chunk size B (its `recurrent_chunk_size`).
    case torchscaleChunkwise(chunkSize: Int)

    /// The factor for each row of one head, from its rotated Q, K (n×d_k, K already scaled as the
    /// model scales it) and V (n×d_v, needed only by the chunkwise states).
    public func factors<E: RealScalar>(q: Matrix<E>, k: Matrix<E>, v: Matrix<E>, decay: Decay<E>)
        throws(RetentionError) -> [E]
    {
        let n = q.rows
        // s_n = Σ_{p≤n} γ^p, the row sums of D.
        var rowSums: [E] = []
        var running: E = 0
        for p in 0..<n {
            running += decay.power(p)
            rowSums.append(running)
        }
        switch self {
        case .exact:
            return Array(repeating: 1, count: n)
        case .decay:
            return rowSums.map { 1 / E.sqrt($0) }
        case .retention, .paper:
            let scores = try ParallelRetention.scores(q: q, k: k, decay: decay)
            return (0..<n).map { row in
                let d: E = self == .paper ? 1 / E.sqrt(rowSums[row]) : 1
                var sum: E = 0
                for m in 0...row { sum += scores[row, m] }
                return d / Swift.max(Swift.abs(d * sum), 1)
            }
        case .torchscaleChunkwise(let b):
            guard b >= 1 else { throw .chunkSize(b) }
            var out: [E] = []
            out.reserveCapacity(n)
            var state = RetentionState<E>(keyDimension: k.columns, valueDimension: v.columns)
            var carried: E = 1  // kv_scale of the state before this chunk
            // Σ_{p<B} γ^p, needed only when a chunk follows a full one, so only when B < n: the
            // work grows with the sequence, never with B (a B of 2⁶³ − 1 on 3 tokens sums nothing).
            var fullChunkSum: E?
            var start = 0
            while start < n {
                let length = Swift.min(b, n - start)
                let rows = start..<(start + length)
                let scores = try ParallelRetention.scores(q: q.rowRange(rows), k: k.rowRange(rows), decay: decay)
                for j in 0..<length {
                    let root = E.sqrt(rowSums[j])
                    var inner: E = 0
                    for m in 0...j { inner += Swift.abs(scores[j, m]) }
                    inner = Swift.max(inner / root, 1)
                    out.append(1 / (root * Swift.max(inner, carried)))
                }
                state = try ChunkwiseRetention.outputs(q: q.rowRange(rows), k: k.rowRange(rows), v: v.rowRange(rows),
                                                       decay: decay, chunkSize: b, from: state).state
                var largest: E = 0
                for c in 0..<state.s.columns {
                    var column: E = 0
                    for r in 0..<state.s.rows { column += Swift.abs(state.s[r, c]) }
                    largest = Swift.max(largest, column)
                }
                start += length
                guard start < n else { break }
                let sum = fullChunkSum ?? (0..<b).reduce(E(0)) { $0 + decay.power($1) }
                fullChunkSum = sum
                carried = Swift.max(largest / sum, 1)
            }
            return out
        }
    }
}
