import FastRetNet
import Kernels

/// One softmax-attention head of one sequence, as GEMMs on T×T matrices: with
/// S = Q Kᵀ/√d_k and P = softmax(S) row by row over the positions m ≤ t,
///
///     forward    O = P V
///     backward   dV = Pᵀ dO,  dP = dO Vᵀ,  dS_tm = P_tm (dP_tm − Σ_m′ P_tm′ dP_tm′)/√d_k,
///                dQ = dS K,  dK = dSᵀ Q,  then the rotation turned back on dQ and dK
///
/// (`CausalAttention.softmaxBackward` and `CausalSelfAttention.backward`). P is recomputed in the
/// backward pass rather than kept, as `HeadRetention` recomputes its scores: T² floats per head
/// and sequence would be the largest activation at long contexts. The exponentials are
/// `VectorMath.exp`, 16 scores at a time, the masked ones −∞ (whose exp is 0). Each (sequence,
/// head) pair is one item of work, writing only its own rows and columns: pairs are split
/// between threads.
struct SoftmaxHeads {
    typealias Vector = SIMD16<Float>

    let block: TransformerTrainingBlock
    let activations: AttentionActivations
    /// T.
    let length: Int
    let rotation: RotationTable

    /// Offsets of item `item` = b·h + i: its first row in the batch, and its head.
    private func place(_ item: Int) -> (firstRow: Int, head: Int) {
        (item / block.heads * length, item % block.heads)
    }

    /// P = softmax(Q Kᵀ/√d_k, causal) (T×T, zero above the diagonal) from a head's rotated Q and K.
    private func weights(q: UnsafePointer<Float>, k: UnsafePointer<Float>, into p: UnsafeMutablePointer<Float>) {
        let (n, dk) = (length, block.keyDimension)
        GEMM.multiply(unchecked: .plain(q, stride: dk), .transposed(k, stride: dk), into: p, ldc: n, m: n, n: n, k: dk,
                      accumulate: false, threads: 1)
        let scale = 1 / Float(dk).squareRoot()
        let lanes = Vector((0..<16).map(Float.init))
        for t in 0..<n {
            let row = p + t * n
            var peak = -Float.infinity
            for m in 0...t {
                row[m] *= scale
                peak = Swift.max(peak, row[m])
            }
            var sums = Vector()
            for c in stride(from: 0, through: t, by: 16) {
                let count = Swift.min(16, n - c)
                var s = ActivationRows.load(row, c, count)
                s.replace(with: -.infinity, where: lanes .> Vector(repeating: Float(t - c)))
                let e = VectorMath.exp(s - Vector(repeating: peak))
                ActivationRows.store(e, row, c, count)
                sums += e
            }
            let total = sums.sum()
            for m in 0...t { row[m] /= total }
            for m in (t + 1)..<n { row[m] = 0 }
        }
    }

    /// The forward pass of the items `items`: each head's Q, K, V from the projections, Q and K
    /// rotated; its outputs into its columns of `attended`.
    func forward(_ items: Range<Int>) {
        let (n, e, v, dk, dv) = (length, block.embed, block.value, block.keyDimension, block.headDimension)
        let width = block.projectionWidth
        let p = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        defer { p.deallocate() }
        for item in items {
            let (first, h) = place(item)
            let q = activations.q.pointer + item * n * dk, k = activations.k.pointer + item * n * dk
            let values = activations.v.pointer + item * n * dv
            for t in 0..<n {
                let row = activations.projected.pointer + (first + t) * width
                let (qt, kt) = (q + t * dk, k + t * dk)
                qt.update(from: row + h * dk, count: dk)
                kt.update(from: row + e + h * dk, count: dk)
                (values + t * dv).update(from: row + 2 * e + h * dv, count: dv)
                rotation.rotate(qt, row: t)
                rotation.rotate(kt, row: t)
            }
            weights(q: q, k: k, into: p)
            GEMM.multiply(unchecked: .plain(p, stride: n), .plain(values, stride: dv),
                          into: activations.attended.pointer + first * v + h * dv, ldc: v, m: n, n: dv, k: n,
                          accumulate: false, threads: 1)
        }
    }

    /// The backward pass of the items `items`, given dC = ∂L/∂[head_1 … head_h] (R×V): dQ, dK
    /// (through the rotation) and dV into their columns of `dProjected` (R×(2E + V)).
    func backward(_ items: Range<Int>, outputGradient dC: UnsafePointer<Float>, into dProjected: UnsafeMutablePointer<Float>) {
        let (n, e, v, dk, dv) = (length, block.embed, block.value, block.keyDimension, block.headDimension)
        let width = block.projectionWidth
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * n * n + 2 * n * dk)
        defer { scratch.deallocate() }
        let (p, dS) = (scratch, scratch + n * n)
        let (dQ, dK) = (dS + n * n, dS + n * n + n * dk)
        let scale = 1 / Float(dk).squareRoot()
        for item in items {
            let (first, h) = place(item)
            let q = activations.q.pointer + item * n * dk, k = activations.k.pointer + item * n * dk
            let values = activations.v.pointer + item * n * dv
            let dO = dC + first * v + h * dv
            weights(q: q, k: k, into: p)
            GEMM.multiply(unchecked: .transposed(p, stride: n), .plain(dO, stride: v),
                          into: dProjected + first * width + 2 * e + h * dv, ldc: width, m: n, n: dv, k: n,
                          accumulate: false, threads: 1)
            GEMM.multiply(unchecked: .plain(dO, stride: v), .transposed(values, stride: dv), into: dS, ldc: n,
                          m: n, n: n, k: dv, accumulate: false, threads: 1)
            for t in 0..<n {
                let (pt, ds) = (p + t * n, dS + t * n)
                var inner: Float = 0
                for m in 0...t { inner += pt[m] * ds[m] }
                for m in 0...t { ds[m] = scale * pt[m] * (ds[m] - inner) }
                for m in (t + 1)..<n { ds[m] = 0 }
            }
            GEMM.multiply(unchecked: .plain(dS, stride: n), .plain(k, stride: dk), into: dQ, ldc: dk,
                          m: n, n: dk, k: n, accumulate: false, threads: 1)
            GEMM.multiply(unchecked: .transposed(dS, stride: n), .plain(q, stride: dk), into: dK, ldc: dk,
                          m: n, n: dk, k: n, accumulate: false, threads: 1)
            for t in 0..<n {
                let row = dProjected + (first + t) * width
                let (dq, dkRow) = (dQ + t * dk, dK + t * dk)
                rotation.rotateBack(dq, row: t)
                rotation.rotateBack(dkRow, row: t)
                (row + h * dk).update(from: dq, count: dk)
                (row + e + h * dk).update(from: dkRow, count: dk)
            }
        }
    }
}
