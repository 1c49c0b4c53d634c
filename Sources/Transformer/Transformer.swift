import Layers
import Matrices

/// A Transformer decoder language model of a RetNet's shape (see `TransformerConfig`): the
/// baseline whose KV cache grows with the context where the RetNet's state does not.
///
///     X⁰ = embed_scale · E[tokens]                          (n×E)
///     Xˡ⁺¹ = Blockₗ(Xˡ),  l = 0 … L−1                        (`TransformerBlock`)
///     logits = Norm(Xᴸ) W_outᵀ                               (n×vocab)
///
/// `forward` reads a whole sequence at once (every query against every key); `prefill` does the
/// same and keeps every layer's keys and values; `step` decodes one token against them, and
/// `step(_:caches:)` advances B sequences by one token each.
public struct Transformer<E: RealScalar>: Sendable, Equatable {
    public let config: TransformerConfig
    public let embedTokens: Matrix<E>
    public let blocks: [TransformerBlock<E>]
    public let layerNorm: BlockNorm<E>
    public let outputProjection: Matrix<E>

    /// A model from its weights; checks the configuration, then every weight against it.
    public init(config: TransformerConfig, embedTokens: Matrix<E>, blocks: [TransformerBlock<E>], layerNorm: BlockNorm<E>,
                outputProjection: Matrix<E>) throws(TransformerError)
    {
        try config.validate()
        let e = config.embedDim, vocab = config.vocabSize
        for (name, m) in [("embed_tokens", embedTokens), ("output_projection", outputProjection)]
            where m.rows != vocab || m.columns != e
        {
            throw .weight(field: "\(name).weight", expected: "\(vocab)×\(e) ([vocab_size, E])", got: "\(m.shape)")
        }
        guard blocks.count == config.layers else {
            throw .weight(field: "layers", expected: "\(config.layers) blocks", got: "\(blocks.count)")
        }
        do throws(ShapeError) {
            try layerNorm.validate(width: e, field: "layer_norm")
            for (i, block) in blocks.enumerated() {
                let a = block.attention
                guard a.embedDimension == e && a.valueDimension == config.valueEmbedDim && a.heads == config.heads
                    && a.scoring == config.attention
                else {
                    throw ShapeError(argument: "layers.\(i).attention",
                                     expected: "E = \(e), V = \(config.valueEmbedDim), h = \(config.heads), \(config.attention) scoring",
                                     got: "E = \(a.embedDimension), V = \(a.valueDimension), h = \(a.heads), \(a.scoring) scoring")
                }
                try block.attentionLayerNorm.validate(width: e, field: "layers.\(i).attention_layer_norm")
                try block.finalLayerNorm.validate(width: e, field: "layers.\(i).final_layer_norm")
                try block.ffn.validate(embed: e, hidden: config.ffnEmbedDim, field: "layers.\(i).ffn")
            }
        } catch {
            throw .weight(field: error.argument, expected: error.expected, got: error.got)
        }
        self.config = config
        self.embedTokens = embedTokens
        self.blocks = blocks
        self.layerNorm = layerNorm
        self.outputProjection = outputProjection
    }

    /// A model with seeded random weights at the scales `RetNet.random` uses for the same kind of
    /// weight: embeddings and output projection N(0, 1/E), every other linear map PyTorch's
    /// `nn.Linear` variance 1/(3·in). Norm weights 1 and biases 0, or 1 + N(0, normNoise²) and
    /// N(0, normNoise²) so that tests exercise them.
    public static func random(config: TransformerConfig, seed: UInt64, normNoise: Double = 0) throws(TransformerError)
        -> Transformer
    {
        try config.validate()
        var rng = SplitMix64(seed: seed)
        let e = config.embedDim, v = config.valueEmbedDim, f = config.ffnEmbedDim
        let eps = E(config.layernormEps)
        func weights(_ count: Int) -> [E] { (0..<count).map { _ in E(1 + normNoise * rng.nextGaussian()) } }
        func biases(_ count: Int) -> [E] { (0..<count).map { _ in E(normNoise * rng.nextGaussian()) } }
        func norm() -> BlockNorm<E> {
            config.rmsNorm ? .rms(weight: weights(e), eps: eps) : .layerNorm(weight: weights(e), bias: biases(e), eps: eps)
        }
        func linear(_ out: Int, _ inn: Int) -> Matrix<E> {
            .gaussian(rows: out, columns: inn, scale: 1 / (3 * Double(inn)).squareRoot(), using: &rng)
        }
        let rotation: Rotation
        do {
            rotation = try Rotation(keyDimension: config.keyDim, precision: config.rotationPrecision)
        } catch {
            throw .config(field: error.argument, expected: error.expected, got: error.got)
        }
        let embed = Matrix<E>.gaussian(rows: config.vocabSize, columns: e, scale: 1 / Double(e).squareRoot(), using: &rng)
        var blocks: [TransformerBlock<E>] = []
        for i in 0..<config.layers {
            let attention = try CausalSelfAttention<E>(heads: config.heads, qProj: linear(e, e), kProj: linear(e, e),
                                                       vProj: linear(v, e), outProj: linear(e, v), rotation: rotation,
                                                       scoring: config.attention, field: "layers.\(i).attention")
            let ffn: FeedForward<E> = config.gluFFN
                ? .glu(fc1: linear(f, e), gate: linear(f, e), fc2: linear(e, f), activation: config.activationFn)
                : .plain(fc1: linear(f, e), fc2: linear(e, f), activation: config.activationFn)
            blocks.append(TransformerBlock(attentionLayerNorm: norm(), attention: attention, finalLayerNorm: norm(), ffn: ffn))
        }
        let output = Matrix<E>.gaussian(rows: config.vocabSize, columns: e, scale: 1 / Double(e).squareRoot(), using: &rng)
        return try Transformer(config: config, embedTokens: embed, blocks: blocks, layerNorm: norm(), outputProjection: output)
    }

    /// The number of token ids the model reads, vocab_size: every id is in 0..<vocabularySize.
    public var vocabularySize: Int { config.vocabSize }

    /// The empty cache (position 0).
    public func emptyCache() -> TransformerCache<E> {
        TransformerCache(layers: blocks.map { $0.attention.emptyCache() })
    }

    /// The logits (n×vocab) for `tokens` from position 0, every query against every key at once.
    public func forward(_ tokens: [Int]) throws(TransformerError) -> Matrix<E> {
        try prefill(tokens).logits
    }

    /// Reads a prompt from position 0 and returns its logits (n×vocab) and the KV cache after it.
    public func prefill(_ tokens: [Int]) throws(TransformerError) -> (logits: Matrix<E>, cache: TransformerCache<E>) {
        try check(tokens)
        var x = embedded(tokens)
        var layers: [AttentionCache<E>] = []
        for block in blocks {
            let result = try block(x)
            x = result.output
            layers.append(result.cache)
        }
        return (layerNorm.apply(x).applyingLinear(outputProjection), TransformerCache(layers: layers))
    }

    /// One token at position cache.position: its logits (1×vocab) and the cache grown by it.
    public func step(_ token: Int, cache: TransformerCache<E>) throws(TransformerError)
        -> (logits: Matrix<E>, cache: TransformerCache<E>)
    {
        let result = try step([token], caches: [cache])
        return (result.logits, result.caches[0])
    }

    /// Batched decoding: sequence b advances by tokens[b] from caches[b] (the sequences may be
    /// at different positions). Returns the B×vocab logits, row b for sequence b, and the B
    /// grown caches. Every projection and norm runs on the B rows at once; the attention of each
    /// row reads only its own sequence's cache. Row b equals what `step(tokens[b], cache:
    /// caches[b])` returns, bit for bit.
    public func step(_ tokens: [Int], caches: [TransformerCache<E>]) throws(TransformerError)
        -> (logits: Matrix<E>, caches: [TransformerCache<E>])
    {
        guard !tokens.isEmpty && tokens.count == caches.count else {
            throw .argument(name: "tokens", expected: "one token per cache, at least one (\(caches.count) caches)",
                            got: "\(tokens.count) tokens")
        }
        try check(tokens)
        for (b, cache) in caches.enumerated() {
            do { try cache.validate(for: config) } catch {
                guard case .cache(let field, let expected, let got) = error else { throw error }
                throw .cache(field: "caches[\(b)].\(field)", expected: expected, got: got)
            }
        }
        var x = embedded(tokens)
        var perLayer = (0..<blocks.count).map { l in caches.map { $0.layers[l] } }
        for (l, block) in blocks.enumerated() {
            x = try block.step(x, caches: &perLayer[l])
        }
        let grown = caches.indices.map { b in TransformerCache(layers: perLayer.map { $0[b] }) }
        return (layerNorm.apply(x).applyingLinear(outputProjection), grown)
    }

    func check(_ tokens: [Int]) throws(TransformerError) {
        for (position, id) in tokens.enumerated() where id < 0 || id >= config.vocabSize {
            throw .token(position: position, id: id, vocabularySize: config.vocabSize)
        }
    }

    func embedded(_ tokens: [Int]) -> Matrix<E> {
        let scale = E(config.embedScale)
        return Matrix(rows: tokens.count, columns: config.embedDim) { n, c in scale * embedTokens[tokens[n], c] }
    }
}
