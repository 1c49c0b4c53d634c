import FastRetNet
import Kernels
import Retention

/// One head of one sequence, in the parallel form, as GEMMs on T×T matrices (T is a training
/// context, tens to hundreds of tokens): with A = Q Kᵀ ⊙ D,
///
///     forward    O = A V,  then the head's norm and swish gate:  P = swish(G) ⊙ HeadNorm(O)
///     backward   dY = dP ⊙ swish(G),  dG = swish′(G) ⊙ (dP ⊙ Y),  dO = HeadNormᵀ(dY)
///                dV = Aᵀ dO,  dA = (dO Vᵀ) ⊙ D,  dQ = dA K,  dK = dAᵀ Q
///                then the rotation turned back and K's scale on dQ and dK
///
/// (`ParallelRetention.backward` and `MultiScaleRetentionLayer.backward`, chapter 10). Y and
/// swish(G) are kept from the forward pass, and so is A for short sequences (T ≤ d_k + d_v,
/// where its T² floats per head and sequence take no more room than Q and V); for longer ones A
/// is recomputed in the backward pass, one T×T×d_k product, rather than kept: it would be the
/// largest activation at long contexts. The mask D multiplies the
/// scores row by row from one `DecayTable`. Each (sequence, head) pair is one item of work,
/// writing only its own rows and columns: pairs are split between threads.
struct HeadRetention {
    let block: TrainingBlock
    let activations: BlockActivations
    /// T.
    let length: Int
    let rotation: RotationTable
    /// One per head: D_tm = table[T − 1 − t + m] (with T trailing zeros).
    let tables: [DecayTable]

    init(block: TrainingBlock, activations: BlockActivations, length: Int, rotation: RotationTable) {
        self.block = block
        self.activations = activations
        self.length = length
        self.rotation = rotation
        tables = block.decays.map { DecayTable(length: length, decay: $0, trailingZeros: length) }
    }

    /// Offsets of item `item` = b·h + i: its first row in the batch, and its head.
    private func place(_ item: Int) -> (firstRow: Int, head: Int) {
        (item / block.heads * length, item % block.heads)
    }

    /// scores ← Q Kᵀ ⊙ D (T×T) for head `head` from its Q and K.
    private func scores(q: UnsafePointer<Float>, k: UnsafePointer<Float>, head: Int, into scores: UnsafeMutablePointer<Float>) {
        let (n, dk) = (length, block.keyDimension)
        GEMM.multiply(unchecked: .plain(q, stride: dk), .transposed(k, stride: dk), into: scores, ldc: n, m: n, n: n, k: dk,
                      accumulate: false, threads: 1)
        mask(scores, head: head)
    }

    /// S ← S ⊙ D for a T×T matrix S.
    private func mask(_ s: UnsafeMutablePointer<Float>, head: Int) {
        let n = length
        tables[head].values.withUnsafeBufferPointer { table in
            for t in 0..<n {
                let decay = table.baseAddress! + (n - 1 - t), row = s + t * n
                for m in 0..<n { row[m] *= decay[m] }
            }
        }
    }

    /// The forward pass of the items `items`: each head's Q, K (scaled), V from the projections,
    /// rotated; its retention outputs; its norm and gate into its columns of `gated`.
    func forward(_ items: Range<Int>) {
        let (n, e, v, dk, dv) = (length, block.embed, block.value, block.keyDimension, block.headDimension)
        let width = block.projectionWidth
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        defer { scratch.deallocate() }
        for item in items {
            let scores = activations.scores.map { $0.pointer + item * n * n } ?? scratch
            let (first, h) = place(item)
            let q = activations.q.pointer + item * n * dk, k = activations.k.pointer + item * n * dk
            let values = activations.v.pointer + item * n * dv, o = activations.retention.pointer + item * n * dv
            for t in 0..<n {
                let row = activations.projected.pointer + (first + t) * width
                let (qt, kt) = (q + t * dk, k + t * dk)
                qt.update(from: row + h * dk, count: dk)
                for c in 0..<dk { kt[c] = block.keyScale * row[e + h * dk + c] }
                (values + t * dv).update(from: row + 2 * e + h * dv, count: dv)
                rotation.rotate(qt, row: t)
                rotation.rotate(kt, row: t)
            }
            self.scores(q: q, k: k, head: h, into: scores)
            GEMM.multiply(unchecked: .plain(scores, stride: n), .plain(values, stride: dv), into: o, ldc: dv, m: n, n: dv,
                          k: n, accumulate: false, threads: 1)
            for t in 0..<n {
                let column = (first + t) * v + h * dv
                let (normalised, swish) = (activations.normalised.pointer + column, activations.swish.pointer + column)
                normalised.update(from: o + t * dv, count: dv)
                NormRows.head(block.headNorm, normalised, width: dv, channel: h * dv)
                let g = activations.projected.pointer + (first + t) * width + 2 * e + v + h * dv
                FloatActivation.apply(.swish, g, times: nil, into: swish, count: dv)
                let gated = activations.gated.pointer + column
                for c in 0..<dv { gated[c] = swish[c] * normalised[c] }
            }
        }
    }

    /// The backward pass of the items `items`, given dP = ∂L/∂(swish(G) ⊙ HeadNorm(O)) (R×V):
    /// dQ, dK (through the rotation and K's scale), dV and dG into their columns of
    /// `dProjected` (R×(2E + 2V)); for GroupNorm, each row's dY ⊙ x̂ into `weightTerms` and
    /// dY into `biasTerms` (R×V each), summed over rows afterwards.
    func backward(_ items: Range<Int>, outputGradient dP: UnsafePointer<Float>, into dProjected: UnsafeMutablePointer<Float>,
                  weightTerms: UnsafeMutablePointer<Float>, biasTerms: UnsafeMutablePointer<Float>) {
        let (n, e, v, dk, dv) = (length, block.embed, block.value, block.keyDimension, block.headDimension)
        let width = block.projectionWidth
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * n * n + 2 * n * dv + 2 * n * dk + dv)
        defer { scratch.deallocate() }
        let dScores = scratch + n * n
        let (dO, dV) = (dScores + n * n, dScores + n * n + n * dv)
        let (dQ, dK) = (dV + n * dv, dV + n * dv + n * dk)
        let dY = dK + n * dk
        let (centred, eps): (Bool, Float) = switch block.headNorm {
        case .groupNorm(_, _, let eps): (true, eps)
        case .rms(let eps): (false, eps)
        }
        let weights: [Float] = if case .groupNorm(let w, _, _) = block.headNorm { w } else { [] }
        weights.withUnsafeBufferPointer { weights in
        for item in items {
            let (first, h) = place(item)
            let q = activations.q.pointer + item * n * dk, k = activations.k.pointer + item * n * dk
            let values = activations.v.pointer + item * n * dv, o = activations.retention.pointer + item * n * dv
            // Gate and head norm, row by row.
            for t in 0..<n {
                let r = first + t
                let g = activations.projected.pointer + r * width + 2 * e + v + h * dv
                let column = r * v + h * dv
                let (dp, normalised, swish) = (dP + column, activations.normalised.pointer + column,
                                               activations.swish.pointer + column)
                let dG = dProjected + r * width + 2 * e + v + h * dv
                for c in 0..<dv {
                    dG[c] = dp[c] * normalised[c]
                    dY[c] = dp[c] * swish[c]
                }
                ActivationRows.swishBackward(g, dG, count: dv)
                // GroupNorm's weight and bias terms (torchscale's RMSNorm has neither).
                let weight = weights.isEmpty ? nil : weights.baseAddress! + h * dv
                if weight != nil { (biasTerms + r * v + h * dv).update(from: dY, count: dv) }
                NormRows.backward(o + t * dv, dY, count: dv, centred: centred, eps: eps, weight: weight,
                                  into: dO + t * dv, weightTerms: weight == nil ? nil : weightTerms + r * v + h * dv)
            }
            // Retention: A (kept, or again), then the four products.
            let scores = activations.scores.map { $0.pointer + item * n * n } ?? scratch
            if activations.scores == nil { self.scores(q: q, k: k, head: h, into: scores) }
            GEMM.multiply(unchecked: .transposed(scores, stride: n), .plain(dO, stride: dv), into: dV, ldc: dv,
                          m: n, n: dv, k: n, accumulate: false, threads: 1)
            GEMM.multiply(unchecked: .plain(dO, stride: dv), .transposed(values, stride: dv), into: dScores, ldc: n,
                          m: n, n: n, k: dv, accumulate: false, threads: 1)
            mask(dScores, head: h)
            GEMM.multiply(unchecked: .plain(dScores, stride: n), .plain(k, stride: dk), into: dQ, ldc: dk,
                          m: n, n: dk, k: n, accumulate: false, threads: 1)
            GEMM.multiply(unchecked: .transposed(dScores, stride: n), .plain(q, stride: dk), into: dK, ldc: dk,
                          m: n, n: dk, k: n, accumulate: false, threads: 1)
            // Rotation back, K's scale, into the projections' columns.
            for t in 0..<n {
                let row = dProjected + (first + t) * width
                let (dq, dk_) = (dQ + t * dk, dK + t * dk)
                rotation.rotateBack(dq, row: t)
                rotation.rotateBack(dk_, row: t)
                (row + h * dk).update(from: dq, count: dk)
                for c in 0..<dk { row[e + h * dk + c] = block.keyScale * dk_[c] }
                (row + 2 * e + h * dv).update(from: dV + t * dv, count: dv)
            }
        }
        }
    }
}
