import FastLayers
import Layers
import Matrices
import Transformer

/// Multi-head causal attention as a training mixer: the heads are A = softmax(Q Kᵀ/√d_k, causal)
/// (`CausalSoftmax`, the Transformer's; tiled, `TiledSoftmaxHeads`, when the form says so) or
/// A = (Q Kᵀ/√d_k) ⊙ M (`CausalLinear`, linear attention), as the layer's `scoring` says, and
/// their outputs are M = [head_1 … head_h] as they
/// are, so dM is each head's dO (`CausalSelfAttention.backward`).
struct AttentionMixer: TrainingMixer {
    let shape: MixerShape
    /// [W_Q; W_K; W_V] ((2E + V)×E) and W_O (E×V).
    let projections: FloatBuffer, output: FloatBuffer
    let scores: AttentionScores
    /// The tiled form's block size (at most T), nil for the naive form.
    let blockSize: Int?

    /// A tiled `form` with a softmax layer, a block size ≥ 1 (checked by the caller); any other
    /// layer runs naive.
    init(_ a: CausalSelfAttention<Float>, length: Int, form: AttentionForm, reusing previous: AttentionMixer?) {
        shape = MixerShape(embed: a.embedDimension, value: a.valueDimension, heads: a.heads, keyDimension: a.keyDimension,
                           headDimension: a.headDimension, projectionWidth: 2 * a.embedDimension + a.valueDimension)
        projections = .reusing(previous?.projections, concatenating: [a.qProj.storage, a.kProj.storage, a.vProj.storage])
        output = .reusing(previous?.output, concatenating: [a.outProj.storage])
        scores = AttentionScores(a.scoring, keyDimension: a.keyDimension)
        blockSize = if case .tiled(let b) = form, case .softmax = scores { Swift.min(b, length) } else { nil }
    }

    static func rotation(of layer: CausalSelfAttention<Float>) -> Rotation { layer.rotation }

    /// Nothing beyond the heads' buffers.
    func kept(rows: Int, length: Int) {}

    func heads(length: Int, rotation: RotationTable, buffers: HeadActivations) -> AttentionHeads {
        guard let blockSize, case .softmax(let softmax) = scores else {
            return .first(CausalHeads(scores: scores, shape: shape, keyScale: 1, length: length, rotation: rotation,
                                      buffers: buffers))
        }
        let layout = HeadLayout(shape: shape, keyScale: 1, length: length, rotation: rotation, buffers: buffers)
        return .second(TiledSoftmaxHeads(layout: layout, blockSize: blockSize, scale: softmax.scale))
    }

    func headActivations(rows: Int, length: Int) -> HeadActivations {
        guard blockSize != nil else { return CausalHeads<AttentionScores>.activations(shape, rows: rows, length: length) }
        return TiledSoftmaxHeads.activations(shape, rows: rows, length: length)
    }

    func headScratch(length: Int) -> HeadScratch {
        guard let blockSize else { return CausalHeads<AttentionScores>.scratch(shape, length: length) }
        return TiledSoftmaxHeads.scratch(shape, length: length, blockSize: blockSize)
    }

    func forward(_ items: Range<Int>, heads: AttentionHeads, projected: UnsafePointer<Float>, kept: Void,
                 mixed: UnsafeMutablePointer<Float>, scratch: HeadScratch) {
        let (v, dv) = (shape.value, shape.headDimension)
        for item in items {
            let (first, h) = heads.place(item)
            heads.forward(item, projected: projected, into: mixed + first * v + h * dv, stride: v, scratch: scratch)
        }
    }

    func backward(_ items: Range<Int>, heads: AttentionHeads, projected: UnsafePointer<Float>, kept: Void,
                  mixedGradient dM: UnsafePointer<Float>, into dProjected: UnsafeMutablePointer<Float>, terms: BackwardScratch,
                  scratch: HeadScratch) {
        let (v, dv) = (shape.value, shape.headDimension)
        for item in items {
            let (first, h) = heads.place(item)
            heads.backward(item, outputGradient: dM + first * v + h * dv, stride: v, into: dProjected, scratch: scratch)
        }
    }

    func gradients(projections dP: FloatBuffer, output dOut: FloatBuffer, terms: BackwardScratch, rows: Int)
        -> AttentionGradients<Float>
    {
        let (e, v) = (shape.embed, shape.value)
        return AttentionGradients(qProj: dP.matrix(firstRow: 0, rows: e, columns: e),
                                  kProj: dP.matrix(firstRow: e, rows: e, columns: e),
                                  vProj: dP.matrix(firstRow: 2 * e, rows: v, columns: e),
                                  outProj: dOut.matrix(firstRow: 0, rows: e, columns: v))
    }
}

extension TransformerError: BatchRefusal {}

extension Transformer<Float>: TrainableDecoder {
    typealias Mixer = AttentionMixer
    typealias Failure = TransformerError
    var configuration: TransformerConfig { config }
    var embedScaleFactor: Float { Float(config.embedScale) }
    var blockCount: Int { blocks.count }

    func parts(ofBlock l: Int) -> BlockParts<CausalSelfAttention<Float>> {
        let b = blocks[l]
        return BlockParts(mixerNorm: b.attentionLayerNorm, mixer: b.attention, finalNorm: b.finalLayerNorm, ffn: b.ffn)
    }

    func gradients(embedTokens: Matrix<Float>, blocks: [BlockGradients<AttentionGradients<Float>>],
                   layerNorm: NormGradients<Float>, outputProjection: Matrix<Float>) -> TransformerGradients<Float> {
        let blocks = blocks.map {
            TransformerBlockGradients(attentionLayerNorm: $0.mixerNorm, attention: $0.mixer, finalLayerNorm: $0.finalNorm, ffn: $0.ffn)
        }
        return TransformerGradients(embedTokens: embedTokens, blocks: blocks, layerNorm: layerNorm, outputProjection: outputProjection)
    }
}
