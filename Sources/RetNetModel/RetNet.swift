import Layers
import Matrices
import MultiScaleRetention
import Retention

/// The RetNet language model (paper Sec. 2.3; torchscale 0.3.0's `RetNetDecoder` with its
/// embeddings and output projection):
///
///     X⁰ = embed_scale · E[tokens]                          (n×E)
///     Xˡ⁺¹ = Blockₗ(Xˡ),  l = 0 … L−1                        (`RetNetBlock`)
///     logits = Norm(Xᴸ) W_outᵀ                               (n×vocab)
///
/// in either variant (`RetNetConfig.Variant`), and in any of retention's three forms: every
/// head of every layer runs parallel, recurrent or chunkwise, and the logits agree. A prefill
/// returns the per-layer recurrent states, from which `step` decodes one token at a time.
///
/// Weights in checkpoint orientation: `embedTokens` = `embed_tokens.weight` [vocab, E],
/// `outputProjection` = `output_projection.weight` [vocab, E], `layerNorm` = `layer_norm`.
///
/// yet-another-retnet's layout of the paper's variant is expressible too: with
/// `RetNetConfig.biases` every linear map has a bias (each layer's `RetentionBiases`, each
/// block's `FeedForwardBiases`, and `outputBias` on the head), and with `final_norm` false the
/// last block's output goes to the head without a norm (`layerNorm` is then not applied). The
/// backward pass and the fast models refuse such a model by name (`requirePlainLayout`).
public struct RetNet<E: RealScalar>: Sendable, Equatable {
    public let config: RetNetConfig
    public let embedTokens: Matrix<E>
    public let blocks: [RetNetBlock<E>]
    public let layerNorm: BlockNorm<E>
    public let outputProjection: Matrix<E>
    /// The head's bias (vocab entries), present exactly when `config.biases`.
    public let outputBias: [E]?

    /// A model from its weights; checks the configuration, then every weight against it (biases
    /// present in every layer, block and the head exactly when `config.biases`).
    public init(config: RetNetConfig, embedTokens: Matrix<E>, blocks: [RetNetBlock<E>], layerNorm: BlockNorm<E>,
                outputProjection: Matrix<E>, outputBias: [E]? = nil) throws(RetNetError)
    {
        try config.validate()
        let e = config.embedDim, vocab = config.vocabSize
        guard embedTokens.rows == vocab && embedTokens.columns == e else {
            throw .weight(field: "embed_tokens.weight", expected: "\(vocab)×\(e) ([vocab_size, E])", got: "\(embedTokens.shape)")
        }
        guard outputProjection.rows == vocab && outputProjection.columns == e else {
            throw .weight(field: "output_projection.weight", expected: "\(vocab)×\(e) ([vocab_size, E])",
                          got: "\(outputProjection.shape)")
        }
        guard blocks.count == config.layers else {
            throw .weight(field: "layers", expected: "\(config.layers) blocks (decoder_layers)", got: "\(blocks.count)")
        }
        do throws(ShapeError) {
            try layerNorm.validate(width: e, field: "layer_norm")
            for (i, block) in blocks.enumerated() {
                let r = block.retention
                guard r.embedDimension == e && r.valueDimension == config.valueEmbedDim && r.heads == config.retentionHeads else {
                    throw ShapeError(argument: "layers.\(i).retention",
                                     expected: "E = \(e), V = \(config.valueEmbedDim), h = \(config.retentionHeads)",
                                     got: "E = \(r.embedDimension), V = \(r.valueDimension), h = \(r.heads)")
                }
                try block.retentionLayerNorm.validate(width: e, field: "layers.\(i).retention_layer_norm")
                try block.finalLayerNorm.validate(width: e, field: "layers.\(i).final_layer_norm")
                try block.ffn.validate(embed: e, hidden: config.ffnEmbedDim, field: "layers.\(i).ffn")
                try Self.checkBiases(block, index: i, config: config)
            }
            guard (outputBias != nil) == config.biases else {
                throw ShapeError(argument: "output_projection.bias", expected: config.biases ? "a bias (biases = true)" : "none (biases = false)",
                                 got: outputBias == nil ? "none" : "\(outputBias!.count) entries")
            }
            if let outputBias, outputBias.count != vocab {
                throw ShapeError(argument: "output_projection.bias", expected: "\(vocab) entries (vocab_size)", got: "\(outputBias.count)")
            }
        } catch {
            throw .weight(field: error.argument, expected: error.expected, got: error.got)
        }
        self.config = config
        self.outputBias = outputBias
        self.embedTokens = embedTokens
        self.blocks = blocks
        self.layerNorm = layerNorm
        self.outputProjection = outputProjection
    }

    /// A model with seeded random weights of torchscale's initial scales: embeddings and output
    /// projection N(0, 1/E), retention as `MultiScaleRetentionLayer.random`, FFN weights with
    /// PyTorch's `nn.Linear` variance 1/(3·in). Norm weights are 1 and biases 0 (the norms', and
    /// the linear maps' when `config.biases`), unless `normNoise` > 0 draws them as
    /// 1 + N(0, normNoise²) and N(0, normNoise²) (so that tests exercise every weight and bias).
    public static func random(config: RetNetConfig, seed: UInt64, normNoise: Double = 0) throws(RetNetError) -> RetNet {
        try config.validate()
        var rng = SplitMix64(seed: seed)
        let e = config.embedDim, v = config.valueEmbedDim, f = config.ffnEmbedDim
        let eps = E(config.layernormEps)
        func weights(_ count: Int) -> [E] { (0..<count).map { _ in E(1 + normNoise * rng.nextGaussian()) } }
        func biases(_ count: Int) -> [E] { (0..<count).map { _ in E(normNoise * rng.nextGaussian()) } }
        func norm() -> BlockNorm<E> {
            config.variant == .paper ? .layerNorm(weight: weights(e), bias: biases(e), eps: eps) : .rms(weight: weights(e), eps: eps)
        }
        func linear(_ out: Int, _ inn: Int) -> Matrix<E> {
            .gaussian(rows: out, columns: inn, scale: 1 / (3 * Double(inn)).squareRoot(), using: &rng)
        }
        let embed = Matrix<E>.gaussian(rows: config.vocabSize, columns: e, scale: 1 / Double(e).squareRoot(), using: &rng)
        let rotation: Rotation
        do {
            rotation = try Rotation(keyDimension: config.keyDim, precision: config.float32Buffers ? .float32 : .double)
        } catch {
            throw .layer(0, .invalid(field: error.argument, expected: error.expected, got: error.got))
        }
        var blocks: [RetNetBlock<E>] = []
        for i in 0..<config.layers {
            let headNorm: HeadNorm<E> = config.variant == .paper
                ? .groupNorm(weight: weights(v), bias: biases(v), eps: eps) : .rms(eps: eps)
            let retention: MultiScaleRetentionLayer<E>
            do {
                retention = try .random(embedDimension: e, valueDimension: v, heads: config.retentionHeads,
                                        headNorm: headNorm, gammas: config.gammas, rotation: rotation, using: &rng)
                    .with(biases: config.biases ? RetentionBiases(q: biases(e), k: biases(e), v: biases(v), g: biases(v),
                                                                  out: biases(e)) : nil)
            } catch {
                throw .layer(i, error)
            }
            let ffn: FeedForward<E> = config.variant == .paper
                ? .plain(fc1: linear(f, e), fc2: linear(e, f), activation: config.activationFn)
                : .glu(fc1: linear(f, e), gate: linear(f, e), fc2: linear(e, f), activation: config.activationFn)
            blocks.append(RetNetBlock(retentionLayerNorm: norm(), retention: retention, finalLayerNorm: norm(), ffn: ffn,
                                      ffnBiases: config.biases ? FeedForwardBiases(fc1: biases(f), fc2: biases(e)) : nil))
        }
        let output = Matrix<E>.gaussian(rows: config.vocabSize, columns: e, scale: 1 / Double(e).squareRoot(), using: &rng)
        return try RetNet(config: config, embedTokens: embed, blocks: blocks, layerNorm: norm(), outputProjection: output,
                          outputBias: config.biases ? biases(config.vocabSize) : nil)
    }

    /// The model in another precision (weights rounded once).
    public func converted<Other: RealScalar>(to _: Other.Type = Other.self) throws(RetNetError) -> RetNet<Other> {
        var converted: [RetNetBlock<Other>] = []
        for (i, block) in blocks.enumerated() {
            do { converted.append(try block.converted()) } catch { throw .layer(i, error) }
        }
        return try RetNet<Other>(config: config, embedTokens: embedTokens.converted(), blocks: converted,
                                 layerNorm: layerNorm.converted(), outputProjection: outputProjection.converted(),
                                 outputBias: outputBias?.map { Other($0) })
    }

    /// The same model with another ε in every norm (block and per-head).
    public func with(eps: Double) throws(RetNetError) -> RetNet {
        var config = self.config
        config.layernormEps = eps
        func renorm(_ norm: BlockNorm<E>) -> BlockNorm<E> {
            switch norm {
            case .layerNorm(let w, let b, _): .layerNorm(weight: w, bias: b, eps: E(eps))
            case .rms(let w, _): .rms(weight: w, eps: E(eps))
            }
        }
        var renormed: [RetNetBlock<E>] = []
        for (i, block) in blocks.enumerated() {
            do {
                renormed.append(RetNetBlock(
                    retentionLayerNorm: renorm(block.retentionLayerNorm),
                    retention: try block.retention.with(headNorm: block.retention.headNorm.with(eps: E(eps))),
                    finalLayerNorm: renorm(block.finalLayerNorm), ffn: block.ffn, ffnBiases: block.ffnBiases))
            } catch {
                throw .layer(i, error)
            }
        }
        return try RetNet(config: config, embedTokens: embedTokens, blocks: renormed, layerNorm: renorm(layerNorm),
                          outputProjection: outputProjection, outputBias: outputBias)
    }

    /// The number of token ids the model reads, vocab_size: every id is in 0..<vocabularySize.
    public var vocabularySize: Int { config.vocabSize }

    /// The empty state (position 0): what a prefill starts from.
    public func emptyState() -> RetNetState<E> {
        RetNetState(layers: blocks.map { $0.retention.emptyState() })
    }

    /// Every stage for `tokens`: the hidden states X⁰ … Xᴸ (torchscale's `inner_states`), the
    /// logits, and the state after the last token. Every head runs in `form`, from `state`
    /// (empty when nil), with `scaling`'s row factors (only from position 0).
    ///
    /// Throws `.token` for an id outside the vocabulary, `.state` for a state of another
    /// configuration, `.layer` for what a layer rejects (e.g. the parallel form after position 0).
    public func forward(_ tokens: [Int], form: RetentionForm = .parallel, from state: RetNetState<E>? = nil,
                        scaling: RowScaling = .exact) throws(RetNetError) -> RetNetPass<E>
    {
        for (position, id) in tokens.enumerated() where id < 0 || id >= config.vocabSize {
            throw .token(position: position, id: id, vocabularySize: config.vocabSize)
        }
        if let state { try state.validate(for: self) }
        let scale = E(config.embedScale)
        var x = Matrix<E>(rows: tokens.count, columns: config.embedDim) { n, c in scale * embedTokens[tokens[n], c] }
        var hidden = [x]
        var layers: [MultiScaleRetentionState<E>] = []
        for (i, block) in blocks.enumerated() {
            do {
                let result = try block(x, form: form, from: state?.layers[i], scaling: scaling)
                x = result.output
                layers.append(result.state)
            } catch {
                throw .layer(i, error)
            }
            hidden.append(x)
        }
        let logits = head(x)
        return RetNetPass(hidden: hidden, logits: logits, state: RetNetState(layers: layers))
    }

    /// The logits (n×vocab) for `tokens` from position 0, every head in `form`.
    public func logits(_ tokens: [Int], form: RetentionForm = .parallel) throws(RetNetError) -> Matrix<E> {
        try forward(tokens, form: form).logits
    }

    /// Reads a prompt (parallel or chunkwise; recurrent works too) and returns its logits and the
    /// per-layer states after it — the hand-off that lets `step` continue where it stopped.
    public func prefill(_ tokens: [Int], form: RetentionForm, from state: RetNetState<E>? = nil) throws(RetNetError)
        -> (logits: Matrix<E>, state: RetNetState<E>)
    {
        let pass = try forward(tokens, form: form, from: state)
        return (pass.logits, pass.state)
    }

    /// One token at position state.position, recurrently: its logits (1×vocab) and the next state.
    public func step(_ token: Int, state: RetNetState<E>) throws(RetNetError) -> (logits: Matrix<E>, state: RetNetState<E>) {
        let pass = try forward([token], form: .recurrent, from: state)
        return (pass.logits, pass.state)
    }
}

/// What the whole model computed for a sequence.
public struct RetNetPass<E: RealScalar>: Sendable {
    /// X⁰ (the scaled embeddings) and the output of each block, Xˡ (n×E): L + 1 matrices.
    public let hidden: [Matrix<E>]
    /// Norm(Xᴸ) W_outᵀ (n×vocab).
    public let logits: Matrix<E>
    /// The per-layer states after the last token.
    public let state: RetNetState<E>
}
