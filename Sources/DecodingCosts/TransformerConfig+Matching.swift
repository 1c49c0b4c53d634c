import RetNetModel
import Transformer

extension TransformerConfig {
    /// The Transformer comparable with a RetNet of `retnet`'s shape (see `TransformerConfig`'s table); the
    /// FFN width is the parameter-matched F′ unless `ffnEmbedDim` is given.
    public init(matching retnet: RetNetConfig, ffnEmbedDim: Int? = nil) {
        let glu = retnet.variant == .torchscale
        let matched = retnet.ffnEmbedDim + (retnet.valueEmbedDim + (glu ? 1 : 0)) / (glu ? 3 : 2)
        self.init(embedDim: retnet.embedDim, valueEmbedDim: retnet.valueEmbedDim, heads: retnet.retentionHeads,
                  ffnEmbedDim: ffnEmbedDim ?? matched, layers: retnet.layers, vocabSize: retnet.vocabSize,
                  layernormEps: retnet.layernormEps, activationFn: retnet.activationFn, rmsNorm: glu, gluFFN: glu,
                  noScaleEmbedding: retnet.noScaleEmbedding,
                  rotationPrecision: retnet.float32Buffers ? .float32 : .double)
    }
}
