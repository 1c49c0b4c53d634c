import Kernels
import Matrices
import MultiScaleRetention
import Retention
import RetNetModel

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
    /// fc1 (plain) or [fc1; gate] (GLU): E → F or 2F.
    let expand: PackedLinear
    /// fc2: F → E.
    let contract: PackedLinear
    let activation: Activation
    let gated: Bool
    let decays: [Decay<Float>]
    let keyScale: Float
    let heads: Int, keyDimension: Int, headDimension: Int, hidden: Int

    init(_ block: RetNetBlock<Float>) {
        let r = block.retention
        retentionNorm = block.retentionLayerNorm
        finalNorm = block.finalLayerNorm
        headNorm = r.headNorm
        projections = PackedLinear(stacking: [r.qProj, r.kProj, r.vProj, r.gProj])
        output = PackedLinear(r.outProj)
        switch block.ffn {
        case .plain(let fc1, let fc2, let activation):
            (expand, contract, self.activation, gated, hidden) = (PackedLinear(fc1), PackedLinear(fc2), activation, false, fc1.rows)
        case .glu(let fc1, let gate, let fc2, let activation):
            (expand, contract, self.activation, gated, hidden) =
                (PackedLinear(stacking: [fc1, gate]), PackedLinear(fc2), activation, true, fc1.rows)
        }
        decays = r.decays
        keyScale = r.keyScale
        (heads, keyDimension, headDimension) = (r.heads, r.keyDimension, r.headDimension)
    }

    var weightBytes: Int { projections.weightBytes + output.weightBytes + expand.weightBytes + contract.weightBytes }

    /// X′ for the n rows of x (n×E), every head in `form` from `states` (which it replaces with
    /// the states after the rows); `rotation` holds the rows' positions.
    func callAsFunction(_ x: [Float], rows n: Int, form: RetentionForm, states: inout [RetentionKernelState],
                        rotation: RotationTable, threads: Int) -> [Float]
    {
        let e = x.count / n, v = heads * headDimension, dk = keyDimension, dv = headDimension
        let width = projections.outputs  // 2E + 2V
        // Norm, then Q, K, V, G side by side.
        var normed = [Float](repeating: 0, count: n * e)
        rowwise(n, threads: threads, x, &normed) { x, y, rows in RowNorms.block(retentionNorm, x, into: y, rows: rows, width: e) }
        var qkvg: [Float] = []
        projections.apply(normed, rows: n, into: &qkvg, threads: threads)
        // Each head: its columns, rotated, retention, norm, gate — heads split between threads.
        var gatedHeads = [Float](repeating: 0, count: n * v)
        var results = [RetentionKernelState?](repeating: nil, count: heads)
        qkvg.withUnsafeMutableBufferPointer { qkvg in
            gatedHeads.withUnsafeMutableBufferPointer { gatedHeads in
                results.withUnsafeMutableBufferPointer { results in
                    let (all, out, done) = (qkvg.baseAddress!, gatedHeads.baseAddress!, results.baseAddress!)
                    Bands.run(heads, threads: threads) { band in
                        for h in band {
                            var q = [Float](repeating: 0, count: n * dk), k = q
                            var value = [Float](repeating: 0, count: n * dv)
                            q.withUnsafeMutableBufferPointer { q in
                                k.withUnsafeMutableBufferPointer { k in
                                    value.withUnsafeMutableBufferPointer { value in
                                        for t in 0..<n {
                                            let row = all + t * width
                                            let (qt, kt) = (q.baseAddress! + t * dk, k.baseAddress! + t * dk)
                                            qt.update(from: row + h * dk, count: dk)
                                            for c in 0..<dk { kt[c] = keyScale * row[e + h * dk + c] }
                                            (value.baseAddress! + t * dv).update(from: row + 2 * e + h * dv, count: dv)
                                            rotation.rotate(qt, row: t)
                                            rotation.rotate(kt, row: t)
                                        }
                                    }
                                }
                            }
                            let (o, state) = Self.retention(q: q, k: k, v: value, rows: n, dk: dk, dv: dv,
                                                             decay: decays[h], form: form, from: states[h])
                            done[h] = state
                            o.withUnsafeBufferPointer { o in
                                for t in 0..<n {
                                    let target = out + t * v + h * dv
                                    target.update(from: o.baseAddress! + t * dv, count: dv)
                                    RowNorms.head(headNorm, target, width: dv, channel: h * dv)
                                    let g = all + t * width + 2 * e + v + h * dv
                                    FloatActivation.apply(.swish, g, times: target, into: target, count: dv)
                                }
                            }
                        }
                    }
                }
            }
        }
        states = results.map { $0! }
        var y: [Float] = []
        output.apply(gatedHeads, rows: n, into: &y, threads: threads)
        for i in 0..<(n * e) { y[i] += x[i] }
        // FFN on Norm(Y), plus Y.
        rowwise(n, threads: threads, y, &normed) { x, z, rows in RowNorms.block(finalNorm, x, into: z, rows: rows, width: e) }
        var expanded: [Float] = []
        expand.apply(normed, rows: n, into: &expanded, threads: threads)
        let f = hidden, span = expand.outputs
        var activated = [Float](repeating: 0, count: n * f)
        rowwise(n, threads: threads, expanded, &activated) { a, z, rows in
            for t in rows {
                FloatActivation.apply(activation, a + t * span, times: gated ? a + t * span + f : nil,
                                      into: z + t * f, count: f)
            }
        }
        var result: [Float] = []
        contract.apply(activated, rows: n, into: &result, threads: threads)
        for i in 0..<(n * e) { result[i] += y[i] }
        return result
    }

    /// One head's outputs (n×d_v) and state after the rows, by the retention kernels. The
    /// parallel form is the tiled parallel kernel: GEMM tiles of (Q Kᵀ ⊙ D) V over the lower
    /// triangle, plus the state a prefill hands on.
    static func retention(q: [Float], k: [Float], v: [Float], rows n: Int, dk: Int, dv: Int, decay: Decay<Float>,
                          form: RetentionForm, from state: RetentionKernelState)
        -> (outputs: [Float], state: RetentionKernelState)
    {
        let (qm, km, vm) = (Matrix(rows: n, columns: dk, entries: q), Matrix(rows: n, columns: dk, entries: k),
                            Matrix(rows: n, columns: dv, entries: v))
        // Shapes and the chunk size are the caller's to check: the kernels cannot fail here.
        let result = switch form {
        case .parallel: try! RetentionKernels.tiledParallel(q: qm, k: km, v: vm, decay: decay)
        case .chunkwise(let b): try! RetentionKernels.chunkwise(q: qm, k: km, v: vm, decay: decay, chunkSize: b, from: state)
        case .recurrent: try! RetentionKernels.recurrent(q: qm, k: km, v: vm, decay: decay, from: state)
        }
        return (result.outputs.storage, result.state)
    }

    /// Runs `body(x, y, rows)` over bands of n rows on the threads.
    private func rowwise(_ n: Int, threads: Int, _ x: [Float], _ y: inout [Float],
                         _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Range<Int>) -> Void) {
        x.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { y in
                let (px, py) = (x.baseAddress!, y.baseAddress!)
                Bands.run(n, threads: threads) { rows in body(px, py, rows) }
            }
        }
    }
}
