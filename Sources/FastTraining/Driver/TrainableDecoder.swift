import Matrices
import MultiScaleRetention
import RetNetModel
import Transformer

/// A reference decoder in Float as the training step sees it: the embedding E (scaled by s),
/// blocks of Norm₁, a token mixer, Norm₂ and an FFN, the final norm and the output projection —
/// and how its weight gradients are put together from those parts. `GradientPass` computes the
/// loss and gradients of any such model; `RetNet<Float>` and `Transformer<Float>` conform here.
protocol TrainableDecoder {
    associatedtype Mixer: TrainingMixer
    associatedtype Gradients
    associatedtype Configuration: Equatable

    var configuration: Configuration { get }
    var embedTokens: Matrix<Float> { get }
    var layerNorm: BlockNorm<Float> { get }
    var outputProjection: Matrix<Float> { get }
    /// s: X⁰ = s · E[tokens].
    var embedScaleFactor: Float { get }
    var blockCount: Int { get }
    func parts(ofBlock l: Int) -> BlockParts<Mixer.Layer>
    /// The model's gradients from the ends' and the blocks'.
    func gradients(embedTokens: Matrix<Float>, blocks: [BlockGradients<Mixer.Gradients>], layerNorm: NormGradients<Float>,
                   outputProjection: Matrix<Float>) -> Gradients
}

extension RetNet<Float>: TrainableDecoder {
    typealias Mixer = RetentionMixer
    var configuration: RetNetConfig { config }
    var embedScaleFactor: Float { Float(config.embedScale) }
    var blockCount: Int { blocks.count }

    func parts(ofBlock l: Int) -> BlockParts<MultiScaleRetentionLayer<Float>> {
        let b = blocks[l]
        return BlockParts(mixerNorm: b.retentionLayerNorm, mixer: b.retention, finalNorm: b.finalLayerNorm, ffn: b.ffn)
    }

    func gradients(embedTokens: Matrix<Float>, blocks: [BlockGradients<MultiScaleRetentionGradients<Float>>],
                   layerNorm: NormGradients<Float>, outputProjection: Matrix<Float>) -> RetNetGradients<Float> {
        var gradients = RetNetGradients(zeroFor: self)
        gradients.embedTokens = embedTokens
        gradients.layerNorm = layerNorm
        gradients.outputProjection = outputProjection
        gradients.blocks = blocks.map {
            RetNetBlockGradients(retentionLayerNorm: $0.mixerNorm, retention: $0.mixer, finalLayerNorm: $0.finalNorm, ffn: $0.ffn)
        }
        return gradients
    }
}

extension Transformer<Float>: TrainableDecoder {
    typealias Mixer = AttentionMixer
    var configuration: TransformerConfig { config }
    var embedScaleFactor: Float { Float(config.embedScale) }
    var blockCount: Int { blocks.count }

    func parts(ofBlock l: Int) -> BlockParts<CausalSelfAttention<Float>> {
        let b = blocks[l]
        return BlockParts(mixerNorm: b.attentionLayerNorm, mixer: b.attention, finalNorm: b.finalLayerNorm, ffn: b.ffn)
    }

    func gradients(embedTokens: Matrix<Float>, blocks: [BlockGradients<AttentionGradients<Float>>],
                   layerNorm: NormGradients<Float>, outputProjection: Matrix<Float>) -> TransformerGradients<Float> {
        var gradients = TransformerGradients(zeroFor: self)
        gradients.embedTokens = embedTokens
        gradients.layerNorm = layerNorm
        gradients.outputProjection = outputProjection
        gradients.blocks = blocks.map {
            TransformerBlockGradients(attentionLayerNorm: $0.mixerNorm, attention: $0.mixer, finalLayerNorm: $0.finalNorm,
                                      ffn: $0.ffn)
        }
        return gradients
    }
}
