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
        let (e, f, span, activation, gated) = (embed, hidden, expandWidth, activation, gated)
        let (retentionNorm, finalNorm) = (retentionNorm, finalNorm)
        Bands.run(rows, threads: threads) { band in
            RowNorms.block(retentionNorm, x, into: kept.normed.pointer, rows: band, width: e)
        }
        Linear.forward(kept.normed.pointer, weight: projections.pointer, into: kept.projected.pointer, rows: rows,
                       inputs: e, outputs: projectionWidth, threads: threads)
        Bands.run(rows / retention.length * heads, threads: threads) { items in retention.forward(items) }
        kept.y.pointer.update(from: x, count: rows * e)
        Linear.forward(kept.gated.pointer, weight: output.pointer, into: kept.y.pointer, rows: rows, inputs: value,
                       outputs: e, accumulate: true, threads: threads)
        Bands.run(rows, threads: threads) { band in
            RowNorms.block(finalNorm, kept.y.pointer, into: kept.normedY.pointer, rows: band, width: e)
        }
        Linear.forward(kept.normedY.pointer, weight: expand.pointer, into: kept.expanded.pointer, rows: rows, inputs: e,
                       outputs: span, threads: threads)
        Bands.run(rows, threads: threads) { band in
            for t in band {
                let expanded = kept.expanded.pointer + t * span
                FloatActivation.apply(activation, expanded, times: gated ? expanded + f : nil,
                                      into: kept.activated.pointer + t * f, count: f)
            }
        }
        out.update(from: kept.y.pointer, count: rows * e)
        Linear.forward(kept.activated.pointer, weight: contract.pointer, into: out, rows: rows, inputs: f, outputs: e,
                       accumulate: true, threads: threads)
    }
}
