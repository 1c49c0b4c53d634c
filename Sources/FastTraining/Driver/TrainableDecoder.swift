import Layers
import Matrices

/// A reference decoder in Float as the training step sees it: the embedding E (scaled by s),
/// blocks of Norm₁, a token mixer, Norm₂ and an FFN, the final norm and the output projection —
/// and how its weight gradients are put together from those parts. `GradientPass` computes the
/// loss and gradients of any such model; `RetNet<Float>` and `Transformer<Float>` conform here.
protocol TrainableDecoder {
    associatedtype Mixer: TrainingMixer
    associatedtype Gradients
    associatedtype Configuration: Equatable
    /// The model's error type, which says why a batch was refused.
    associatedtype Failure: BatchRefusal

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

/// A model's error type as far as a batch is concerned: its two cases for a refused batch
/// (`RetNetError` and `TransformerError` have both).
protocol BatchRefusal: Error {
    static func argument(name: String, expected: String, got: String) -> Self
    static func token(position: Int, id: Int, vocabularySize: Int) -> Self
}
