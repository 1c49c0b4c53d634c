import FastLayers
import Kernels
import Layers
import Matrices

/// The two ends a language model has around its blocks, the same for the RetNet and the
/// Transformer: the embedding X⁰ = s · E[tokens] at the start, and at the end
/// logits = Norm(Xᴸ) W_outᵀ with the mean next-token loss — each with its backward pass over all
/// R = B·T rows of a batch.
enum ModelEnds {
    /// X⁰ = s · E[inputs] into x (R×E).
    static func embed(_ embedTokens: Matrix<Float>, inputs: [Int], scale: Float, into x: UnsafeMutablePointer<Float>) {
        let e = embedTokens.columns
        embedTokens.storage.withUnsafeBufferPointer { embed in
            for (r, id) in inputs.enumerated() {
                for c in 0..<e { x[r * e + c] = scale * embed[id * e + c] }
            }
        }
    }

    /// The mean loss of the R rows of Xᴸ against their targets, and the backward pass down to
    /// dXᴸ (into `s.dX`):
    ///
    ///     logits = Norm(Xᴸ) W_outᵀ (GEMM),  L and dlogits row by row (`LossRows`), summed in row order
    ///     dNorm = dlogits W_out,  dW_out = dlogitsᵀ Norm(Xᴸ) (GEMMs),  dXᴸ = Normᵀ(dNorm)
    ///
    /// `buffers` holds Norm(Xᴸ), the logits, the losses and the gradients on the way. With
    /// `weights` (R weights summing to 1) the loss is Σ_r w_r ℓ_r, its gradient alike (`LossRows`).
    static func head(layerNorm: BlockNorm<Float>, outputProjection: Matrix<Float>, last: UnsafePointer<Float>, targets: [Int],
                     weights: [Float]? = nil, buffers: LogitBuffers, scratch s: BackwardScratch, threads: Int)
        -> (loss: Float, layerNorm: NormGradients<Float>, outputProjection: Matrix<Float>)
    {
        let (rows, e, vocabulary) = (targets.count, outputProjection.columns, outputProjection.rows)
        let (normed, head, logits) = (buffers.normed, buffers.head, buffers.logits)
        let (losses, dLogits, dHead) = (buffers.losses, buffers.dLogits, buffers.dHead)
        Bands.run(rows, threads: threads) { band in NormRows.block(layerNorm, last, into: normed.pointer, rows: band, width: e) }
        head.fill(concatenating: [outputProjection.storage])
        Linear.forward(normed.pointer, weight: head.pointer, into: logits.pointer, rows: rows, inputs: e, outputs: vocabulary,
                       threads: threads)
        Bands.run(rows, threads: threads) { band in
            LossRows.evaluate(logits.pointer, targets: targets, rows: band, vocabulary: vocabulary, count: rows,
                              weights: weights, losses: losses.pointer, gradient: dLogits.pointer)
        }
        var total: Double = 0
        if let weights {
            for r in 0..<rows { total += Double(weights[r]) * Double(losses.pointer[r]) }
        } else {
            for r in 0..<rows { total += Double(losses.pointer[r]) }
            total /= Double(rows)
        }
        Linear.inputGradient(dLogits.pointer, weight: head.pointer, into: s.dNormed.pointer, rows: rows, inputs: e,
                             outputs: vocabulary, threads: threads)
        Linear.weightGradient(dLogits.pointer, input: normed.pointer, into: dHead.pointer, rows: rows, inputs: e,
                              outputs: vocabulary, threads: threads)
        Bands.run(rows, threads: threads) { band in
            NormRows.block(layerNorm, last, s.dNormed.pointer, into: s.dX.pointer, weightTerms: s.weightTerms.pointer,
                           rows: band, width: e)
        }
        let normGradients = NormRows.gradients(layerNorm, weightTerms: s.weightTerms.pointer, outputGradient: s.dNormed.pointer,
                                               rows: rows, width: e)
        return (Float(total), normGradients, dHead.matrix(firstRow: 0, rows: vocabulary, columns: e))
    }

    /// The index of each row's largest logit (the first, on a tie) in the logits `head` wrote
    /// last: what the model predicts at each of the R rows.
    static func predictions(_ buffers: LogitBuffers, rows: Int, vocabulary: Int) -> [Int] {
        (0..<rows).map { r in
            let row = buffers.logits.pointer + r * vocabulary
            var best = 0
            for i in 1..<vocabulary where row[i] > row[best] { best = i }
            return best
        }
    }

    /// dE for X⁰_r = s · E[inputs[r]] given dX⁰ (R×E): row r, times s, added into row inputs[r],
    /// rows in order.
    static func embeddingGradient(inputs: [Int], scale: Float, outputGradient dX: UnsafePointer<Float>, vocabulary: Int,
                                  width e: Int) -> Matrix<Float> {
        var dEmbed = [Float](repeating: 0, count: vocabulary * e)
        for (r, id) in inputs.enumerated() {
            for c in 0..<e { dEmbed[id * e + c] += scale * dX[r * e + c] }
        }
        return Matrix(rows: vocabulary, columns: e, entries: dEmbed)
    }
}

/// The buffers `ModelEnds.head` writes for R rows: Norm(Xᴸ) (R×E), W_out laid out for the
/// GEMMs and its gradient (vocabulary×E), the logits and their gradient (R×vocabulary), each
/// row's loss (R). Each is written in full before it is read: one serves call after call.
final class LogitBuffers {
    let normed: FloatBuffer, head: FloatBuffer, dHead: FloatBuffer, logits: FloatBuffer, dLogits: FloatBuffer
    let losses: FloatBuffer

    init(rows: Int, embed e: Int, vocabulary: Int) {
        normed = FloatBuffer(rows * e)
        (head, dHead) = (FloatBuffer(vocabulary * e), FloatBuffer(vocabulary * e))
        (logits, dLogits) = (FloatBuffer(rows * vocabulary), FloatBuffer(rows * vocabulary))
        losses = FloatBuffer(rows)
    }
}

/// cos and sin of nθ_j for the positions 0 … T−1 every sequence of a batch shares, with the
/// buffers that hold them; filled for each call's model (its θ may differ between calls).
final class PositionRotations {
    let table: RotationTable
    let length: Int
    private let cosines: FloatBuffer, sines: FloatBuffer

    /// Buffers for `pairs` = d_k/2 angles at `length` positions.
    init(pairs: Int, length: Int) {
        self.length = length
        (cosines, sines) = (FloatBuffer(length * pairs), FloatBuffer(length * pairs))
        table = RotationTable(pairs: pairs, cos: cosines.pointer, sin: sines.pointer)
    }

    /// The tables of `rotation` (d_k/2 = the buffers' pairs).
    func fill(_ rotation: Rotation) {
        table.fill(rotation, positions: 0..<length)
    }
}
