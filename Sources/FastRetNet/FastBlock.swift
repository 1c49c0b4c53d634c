import FastLayers
import FastRetention
import Kernels
import Layers
import Matrices
import MultiScaleRetention
import RetNetModel
import Retention

/// One RetNet block's weights, laid out for the kernels (`RetNetBlock`'s computation):
///
///     [Q K V G] = Norm(X) [W_Q W_K W_V W_G]ᵀ         one product for all four projections
///     K ·= d_k^{−1/2};  Q, K rotated;  head_i = Retention_{γ_i}(Q_i, K_i, V_i)    heads in parallel
///     Y = (swish(G) ⊙ HeadNorm(heads)) W_Oᵀ + X
///     X′ = FFN(Norm(Y)) + Y,   FFN = fc2(act(fc1 ·) [⊙ gate ·])    fc1 and gate as one product
struct FastBlock: Sendable {
    let retentionNorm: BlockNorm<Float>
    let finalNorm: BlockNorm<Float>
    let headNorm: HeadNorm<Float>
    /// [W_Q; W_K; W_V; W_G]: E → 2E + 2V.
    let projections: PackedLinear
    /// W_O: V → E.
    let output: PackedLinear
    let ffn: PackedFeedForward
    let decays: [Decay<Float>]
    let keyScale: Float
    let embedDimension: Int, heads: Int, keyDimension: Int, headDimension: Int

    init(_ block: RetNetBlock<Float>) {
        let r = block.retention
        retentionNorm = block.retentionLayerNorm
        finalNorm = block.finalLayerNorm
        headNorm = r.headNorm
        projections = PackedLinear(stacking: [r.qProj, r.kProj, r.vProj, r.gProj])
        output = PackedLinear(r.outProj)
        ffn = PackedFeedForward(block.ffn)
        decays = r.decays
        keyScale = r.keyScale
        (embedDimension, heads, keyDimension, headDimension) = (r.embedDimension, r.heads, r.keyDimension, r.headDimension)
    }

    var weightBytes: Int { projections.weightBytes + output.weightBytes + ffn.weightBytes }

    /// X ← X′ for the n rows of `workspace.x` (n×E), every head in `form` from `states`, which
    /// move on by the n rows in place; `workspace.rotation` holds the rows' positions. Every
    /// intermediate is a `workspace` buffer: for the recurrent form nothing here allocates.
    func callAsFunction(_ workspace: Workspace, rows n: Int, form: RetentionForm, states: inout [RetentionKernelState],
                        threads: Int) {
        run(workspace, rows: n, threads: threads, streaming: false) {
            // Every head's Q and K rotated into the workspace, row after row (each row of [Q K V G]
            // read front to back once), rows split between threads.
            Bands.run(n, threads: threads, HeadInputs(block: self, workspace: workspace, rows: n))
            // Each head: retention, norm, gate — heads split between threads, each writing only its
            // own slices and its own state.
            states.withUnsafeMutableBufferPointer { states in
                Bands.run(heads, threads: threads, Heads(block: self, workspace: workspace, rows: n, form: form, states: states))
            }
        }
    }

    /// X ← X′ for the n rows of `workspace.x`, row b the next token of sequence b, whose heads'
    /// states (d_k×d_v each, one after another) are at `states(b)`, moved on by one token in
    /// place; `workspace.rotation` holds each row's position. The products are the panel kernel
    /// (one pass over the weights for all rows, each row's sums as if it were alone); nothing
    /// here allocates.
    func decode(_ workspace: Workspace, rows n: Int, states: BatchStates, threads: Int) {
        run(workspace, rows: n, threads: threads, streaming: true) {
            Bands.run(n * heads, threads: threads, BatchHeads(block: self, workspace: workspace, rows: n, states: states))
        }
    }

    /// Norm, [Q K V G], `retention` (which writes every head's gated output into
    /// `workspace.gatedHeads`), W_O, the residual, Norm, FFN, the residual.
    private func run(_ workspace: Workspace, rows n: Int, threads: Int, streaming: Bool, retention: () -> Void) {
        let e = embedDimension
        let (x, normed, qkvg, gatedHeads, y) = (workspace.x, workspace.normed, workspace.qkvg, workspace.gatedHeads,
                                                workspace.y)
        // Norm, then Q, K, V, G side by side.
        Bands.run(n, threads: threads, BlockNormRows(retentionNorm, x, into: normed, width: e))
        projections.apply(normed, rows: n, into: qkvg, threads: threads, streaming: streaming)
        retention()
        output.apply(gatedHeads, rows: n, into: y, threads: threads, streaming: streaming)
        Elementwise.add(x, to: y, count: n * e)
        // FFN on Norm(Y), plus Y, back into X.
        Bands.run(n, threads: threads, BlockNormRows(finalNorm, y, into: normed, width: e))
        ffn.apply(normed, rows: n, expanded: workspace.expanded, activated: workspace.activated, into: x, threads: threads,
                  streaming: streaming)
        Elementwise.add(y, to: x, count: n * e)
    }

    /// The Q and K of heads `heads` for rows `rows` of the workspace's n rows of [Q K V G]: each
    /// head's Q and K columns (K scaled) rotated into its slices of `workspace.q` and
    /// `workspace.k`, row after row. Writes only those rows of those heads' slices.
    func inputs(heads: Range<Int>, rows: Range<Int>, of n: Int, workspace: Workspace) {
        let e = embedDimension, dk = keyDimension, width = projections.outputs  // 2E + 2V
        let (qkvg, rotation) = (workspace.qkvg, workspace.rotation)
        for t in rows {
            let row = qkvg + t * width
            for h in heads {
                rotation.rotate(row + h * dk, into: workspace.q + (h * n + t) * dk, row: t)
                rotation.rotate(row + e + h * dk, scaledBy: keyScale, into: workspace.k + (h * n + t) * dk, row: t)
            }
        }
    }

    /// Head h for rows `rows` of the workspace's n rows, its Q and K already rotated (`inputs`)
    /// and V read where it is in [Q K V G]: its retention from the state S at `state` (d_k×d_v,
    /// moved on by the rows in place; the caller advances its position), then its norm and
    /// gate, into its columns of the gated heads. Writes only head h's slices of those rows.
    func head(_ h: Int, rows: Range<Int>, of n: Int, form: RetentionForm, state: UnsafeMutablePointer<Float>,
              workspace: Workspace) {
        let e = embedDimension, v = heads * headDimension, dk = keyDimension, dv = headDimension
        let width = projections.outputs  // 2E + 2V
        let qkvg = workspace.qkvg
        let (q, k) = (workspace.q + (h * n + rows.lowerBound) * dk, workspace.k + (h * n + rows.lowerBound) * dk)
        let o = workspace.outputs + (h * n + rows.lowerBound) * dv
        // V straight from its columns of [Q K V G], rows `width` apart.
        Self.retention(q: q, k: k, v: qkvg + rows.lowerBound * width + 2 * e + h * dv, ldv: width, rows: rows.count,
                       dk: dk, dv: dv, decay: decays[h], form: form, into: o, state: state)
        for t in rows {
            let i = t - rows.lowerBound
            let target = workspace.gatedHeads + t * v + h * dv
            NormRows.head(headNorm, o + i * dv, into: target, width: dv, channel: h * dv)
            let g = qkvg + t * width + 2 * e + v + h * dv
            ActivationRows.apply(.swish, g, times: target, into: target, count: dv)
        }
    }

    /// One head's outputs (n×d_v, into `out`) and the state after the rows (d_k×d_v at `state`,
    /// in place), by the retention kernels' raw-memory entry points: the shapes come from the
    /// model and the chunk size is checked by `forward`, so there is nothing to check here. The
    /// parallel form is the tiled parallel kernel: GEMM tiles of (Q Kᵀ ⊙ D) V over the lower
    /// triangle, plus the state a prefill hands on.
    static func retention(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, ldv: Int,
                          rows n: Int, dk: Int, dv: Int, decay: Decay<Float>, form: RetentionForm,
                          into out: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>) {
        switch form {
        case .parallel:
            RetentionKernels.tiledParallel(q: q, k: k, v: v, ldv: ldv, rows: n, dk: dk, dv: dv, decay: decay, into: out, state: state)
        case .chunkwise(let b):
            RetentionKernels.chunkwise(q: q, k: k, v: v, ldv: ldv, rows: n, dk: dk, dv: dv, decay: decay, chunkSize: b,
                                       into: out, state: state)
        case .recurrent:
            RetentionKernels.recurrent(q: q, k: k, v: v, ldv: ldv, rows: n, dk: dk, dv: dv, decay: decay, into: out, state: state)
        }
    }
}

/// Every head's rotated Q and K for a band of rows (`FastBlock.inputs`): a value (`BandWork`).
private struct HeadInputs: BandWork {
    let block: FastBlock
    let workspace: Workspace
    let rows: Int

    func callAsFunction(_ band: Range<Int>) {
        block.inputs(heads: 0..<block.heads, rows: band, of: rows, workspace: workspace)
    }
}

/// A block's heads for a band of them (`FastBlock.head`): a value, so that a decoding step hands
/// it to the threads without an allocation (`BandWork`).
private struct Heads: BandWork {
    let block: FastBlock
    let workspace: Workspace
    let rows: Int
    let form: RetentionForm
    /// The layer's head states, each head's written only by the thread that has the head.
    let states: UnsafeMutableBufferPointer<RetentionKernelState>

    func callAsFunction(_ band: Range<Int>) {
        for h in band {
            states[h].s.withUnsafeMutableBufferPointer { s in
                block.head(h, rows: 0..<rows, of: rows, form: form, state: s.baseAddress!, workspace: workspace)
            }
            states[h].position += rows
        }
    }
}

/// Where a batch keeps one layer's head states: sequence b's at `base + b·stride`, its heads'
/// d_k×d_v states one after another.
struct BatchStates {
    let base: UnsafeMutablePointer<Float>
    let stride: Int
}

/// A block's (sequence, head) pairs for a band of them — item i is head i mod h of sequence
/// i / h, one recurrent step on row i / h from that sequence's state. A value (`BandWork`).
private struct BatchHeads: BandWork {
    let block: FastBlock
    let workspace: Workspace
    let rows: Int
    let states: BatchStates

    func callAsFunction(_ band: Range<Int>) {
        let size = block.keyDimension * block.headDimension
        for item in band {
            let (b, h) = item.quotientAndRemainder(dividingBy: block.heads)
            block.inputs(heads: h..<(h + 1), rows: b..<(b + 1), of: rows, workspace: workspace)
            block.head(h, rows: b..<(b + 1), of: rows, form: .recurrent, state: states.base + b * states.stride + h * size,
                       workspace: workspace)
        }
    }
}
