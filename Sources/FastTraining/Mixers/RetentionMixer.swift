import FastLayers
import Kernels
import Layers
import Matrices
import MultiScaleRetention
import RetNetModel
import Retention

/// Gated multi-scale retention as a training mixer (Sec. 2.2): the heads are retention's
/// parallel form, A = Q Kᵀ ⊙ D (`DecayMask`), or its chunkwise form (`ChunkwiseHeads`), as the
/// `RetentionForm` says, and each head's output then passes its norm and the swish gate,
///
///     M = swish(G) ⊙ HeadNorm(O),   O = (Q Kᵀ ⊙ D) V
///     backward   dY = dM ⊙ swish(G),  dG = swish′(G) ⊙ (dM ⊙ Y),  dO = HeadNormᵀ(dY), then the heads
///
/// (`MultiScaleRetentionLayer.backward`, chapter 10). HeadNorm(O) and swish(G) are kept from the
/// forward pass. Retention is exact, as the reference's `.exact` scaling.
struct RetentionMixer: TrainingMixer {
    let shape: MixerShape
    /// [W_Q; W_K; W_V; W_G] ((2E + 2V)×E) and W_O (E×V).
    let projections: FloatBuffer, output: FloatBuffer
    let headNorm: HeadNorm<Float>
    let decays: RetentionDecays
    let keyScale: Float

    init(_ r: MultiScaleRetentionLayer<Float>, length: Int, form: RetentionForm, reusing previous: RetentionMixer?) {
        shape = MixerShape(embed: r.embedDimension, value: r.valueDimension, heads: r.heads, keyDimension: r.keyDimension,
                           headDimension: r.headDimension, projectionWidth: 2 * r.embedDimension + 2 * r.valueDimension)
        projections = .reusing(previous?.projections,
                               concatenating: [r.qProj.storage, r.kProj.storage, r.vProj.storage, r.gProj.storage])
        output = .reusing(previous?.output, concatenating: [r.outProj.storage])
        headNorm = r.headNorm
        decays = RetentionDecays(r, length: length, form: form, reusing: previous?.decays)
        keyScale = r.keyScale
    }

    static func rotation(of layer: MultiScaleRetentionLayer<Float>) -> Rotation { layer.rotation }

    /// Per item, its outputs O (T×d_v, at item·T·d_v); HeadNorm(O) and swish(G), R×V each.
    final class Kept {
        let outputs: FloatBuffer, normalised: FloatBuffer, swish: FloatBuffer
        init(rows: Int, value: Int) {
            (outputs, normalised, swish) = (FloatBuffer(rows * value), FloatBuffer(rows * value), FloatBuffer(rows * value))
        }
    }

    func kept(rows: Int, length: Int) -> Kept { Kept(rows: rows, value: shape.value) }

    func heads(length: Int, rotation: RotationTable, buffers: HeadActivations) -> RetentionHeads {
        decays.heads(HeadLayout(shape: shape, keyScale: keyScale, length: length, rotation: rotation, buffers: buffers))
    }

    func headActivations(rows: Int, length: Int) -> HeadActivations {
        decays.activations(shape, rows: rows, length: length)
    }

    func headScratch(length: Int) -> HeadScratch { decays.scratch(shape, length: length) }

    func forward(_ items: Range<Int>, heads: RetentionHeads, projected: UnsafePointer<Float>, kept: Kept,
                 mixed: UnsafeMutablePointer<Float>, scratch: HeadScratch) {
        let (n, e, v, dv, width) = (heads.length, shape.embed, shape.value, shape.headDimension, shape.projectionWidth)
        // The head norm's settings once, not per row (`NormRows.head`'s arithmetic, O read where it lies).
        let (centred, eps, weights, biases): (Bool, Float, [Float], [Float]) = switch headNorm {
        case .groupNorm(let w, let b, let eps): (true, eps, w, b)
        case .rms(let eps): (false, eps, [], [])
        }
        weights.withUnsafeBufferPointer { weights in
            biases.withUnsafeBufferPointer { biases in
                for item in items {
                    let (first, h) = heads.place(item)
                    let o = kept.outputs.pointer + item * n * dv
                    heads.forward(item, projected: projected, into: o, stride: dv, scratch: scratch)
                    // An empty array may have a base address: only a norm with weights has any.
                    let weight = weights.isEmpty ? nil : weights.baseAddress.map { $0 + h * dv }
                    let bias = biases.isEmpty ? nil : biases.baseAddress.map { $0 + h * dv }
                    for t in 0..<n {
                        let column = (first + t) * v + h * dv
                        let (normalised, swish) = (kept.normalised.pointer + column, kept.swish.pointer + column)
                        NormRows.forward(o + t * dv, count: dv, centred: centred, eps: eps, weight: weight, bias: bias,
                                         into: normalised)
                        let g = projected + (first + t) * width + 2 * e + v + h * dv
                        ActivationRows.apply(.swish, g, times: nil, into: swish, count: dv)
                        let gated = mixed + column
                        for c in 0..<dv { gated[c] = swish[c] * normalised[c] }
                    }
                }
            }
        }
    }

    /// Also: for GroupNorm, each row's dY ⊙ x̂ into `terms.weightTerms` and dY into
    /// `terms.biasTerms` (R×V each), summed over rows by `gradients`.
    func backward(_ items: Range<Int>, heads: RetentionHeads, projected: UnsafePointer<Float>, kept: Kept,
                  mixedGradient dM: UnsafePointer<Float>, into dProjected: UnsafeMutablePointer<Float>, terms: BackwardScratch,
                  scratch: HeadScratch) {
        let (n, e, v, dv, width) = (heads.length, shape.embed, shape.value, shape.headDimension, shape.projectionWidth)
        let (dO, dY) = (scratch.dO, scratch.row)
        let (centred, eps): (Bool, Float) = switch headNorm {
        case .groupNorm(_, _, let eps): (true, eps)
        case .rms(let eps): (false, eps)
        }
        let weights: [Float] = if case .groupNorm(let w, _, _) = headNorm { w } else { [] }
        weights.withUnsafeBufferPointer { weights in
            for item in items {
                let (first, h) = heads.place(item)
                let o = kept.outputs.pointer + item * n * dv
                // Gate and head norm, row by row.
                for t in 0..<n {
                    let r = first + t
                    let g = projected + r * width + 2 * e + v + h * dv
                    let column = r * v + h * dv
                    let (dm, normalised, swish) = (dM + column, kept.normalised.pointer + column, kept.swish.pointer + column)
                    let dG = dProjected + r * width + 2 * e + v + h * dv
                    for c in 0..<dv {
                        dG[c] = dm[c] * normalised[c]
                        dY[c] = dm[c] * swish[c]
                    }
                    ActivationRows.swishBackward(g, dG, count: dv)
                    // GroupNorm's weight and bias terms (torchscale's RMSNorm has neither).
                    let weight = weights.isEmpty ? nil : weights.baseAddress! + h * dv
                    if weight != nil { (terms.biasTerms.pointer + column).update(from: dY, count: dv) }
                    NormRows.backward(o + t * dv, dY, count: dv, centred: centred, eps: eps, weight: weight,
                                      into: dO + t * dv, weightTerms: weight == nil ? nil : terms.weightTerms.pointer + column)
                }
                heads.backward(item, outputGradient: dO, stride: dv, into: dProjected, scratch: scratch)
            }
        }
    }

    func gradients(projections dP: FloatBuffer, output dOut: FloatBuffer, terms: BackwardScratch, rows: Int)
        -> MultiScaleRetentionGradients<Float>
    {
        let (e, v) = (shape.embed, shape.value)
        let headNormGradients: NormGradients<Float> = switch headNorm {
        case .groupNorm: NormGradients(weight: NormRows.columnSums(terms.weightTerms.pointer, rows: rows, width: v),
                                       bias: NormRows.columnSums(terms.biasTerms.pointer, rows: rows, width: v))
        case .rms: NormGradients(weight: [], bias: [])
        }
        return MultiScaleRetentionGradients(
            qProj: dP.matrix(firstRow: 0, rows: e, columns: e),
            kProj: dP.matrix(firstRow: e, rows: e, columns: e),
            vProj: dP.matrix(firstRow: 2 * e, rows: v, columns: e),
            gProj: dP.matrix(firstRow: 2 * e + v, rows: v, columns: e),
            outProj: dOut.matrix(firstRow: 0, rows: e, columns: v), headNorm: headNormGradients)
    }
}

extension RetNetError: BatchRefusal {}

extension RetNet<Float>: TrainableDecoder {
    typealias Mixer = RetentionMixer
    typealias Failure = RetNetError
    var configuration: RetNetConfig { config }
    var embedScaleFactor: Float { Float(config.embedScale) }
    var blockCount: Int { blocks.count }

    func parts(ofBlock l: Int) -> BlockParts<MultiScaleRetentionLayer<Float>> {
        let b = blocks[l]
        return BlockParts(mixerNorm: b.retentionLayerNorm, mixer: b.retention, finalNorm: b.finalLayerNorm, ffn: b.ffn)
    }

    func gradients(embedTokens: Matrix<Float>, blocks: [BlockGradients<MultiScaleRetentionGradients<Float>>],
                   layerNorm: NormGradients<Float>, outputProjection: Matrix<Float>) -> RetNetGradients<Float> {
        let blocks = blocks.map {
            RetNetBlockGradients(retentionLayerNorm: $0.mixerNorm, retention: $0.mixer, finalLayerNorm: $0.finalNorm, ffn: $0.ffn)
        }
        return RetNetGradients(embedTokens: embedTokens, blocks: blocks, layerNorm: layerNorm, outputProjection: outputProjection)
    }
}
