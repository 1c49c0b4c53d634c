import FastRetNet
import Kernels

extension TrainingBlock {
    /// X′ = Block(X) for the R rows at `x` into `out`, keeping in `kept` what the backward pass
    /// reads: `FastBlock`'s computation, over all rows of all sequences at once.
    ///
    ///     Norm₁(X) → [Q K V G] (one GEMM) → heads (pairs of sequence and head split between threads)
    ///     Y = X + (swish(G) ⊙ HeadNorm(heads)) W_Oᵀ          (the GEMM adds into a copy of X)
    ///     X′ = Y + FFN(Norm₂(Y))
    func forward(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, keeping kept: BlockActivations,
                 heads retention: HeadRetention, rows: Int, threads: Int) {
        mixerForward(x, norm: retentionNorm, normed: kept.normed, projected: kept.projected, mixed: kept.gated,
                     into: kept.feedForward.y, rows: rows, items: rows / retention.length * heads, threads: threads) { items in
            retention.forward(items)
        }
        feedForward(kept.feedForward, into: out, rows: rows, threads: threads)
    }
}
