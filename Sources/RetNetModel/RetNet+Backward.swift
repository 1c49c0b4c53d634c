import Layers
import Matrices
import MultiScaleRetention
import Retention

extension RetNet {
    /// The next-token loss for `tokens` from position 0, every head in `form` with `scaling`'s
    /// row factors (`NextTokenLoss`).
    ///
    /// Throws `.argument` for fewer than two tokens (no position has a next token), and what
    /// `forward` throws.
    public func loss(_ tokens: [Int], form: RetentionForm = .parallel, scaling: RowScaling = .exact)
        throws(RetNetError) -> E
    {
        try Self.requireTwo(tokens)
        return NextTokenLoss.evaluate(logits: try forward(tokens, form: form, scaling: scaling).logits, tokens: tokens).loss
    }

    /// The next-token loss and its gradient with respect to every weight, by an explicit
    /// backward pass (no autodiff): the forward pass keeps the hidden states X⁰ … Xᴸ, then
    ///
    ///     logits = Norm(Xᴸ) W_outᵀ:  dNorm = dlogits W_out,  dW_out += dlogitsᵀ Norm(Xᴸ)
    ///     final norm:                dXᴸ from `BlockNorm.backward`
    ///     blocks, last first:        dXˡ from `RetNetBlock.backward` (each recomputes its forward)
    ///     embedding:                 X⁰_n = s · E[tokens[n]]:  dE[tokens[n]] += s · dX⁰_n
    ///
    /// The embedding's backward is a scatter-add: a token that occurs twice adds both rows'
    /// gradients into its one row of E. Every head runs in `form` (`.chunkwise(chunkSize:)`
    /// for a chunk size) in the forward and the backward pass; the three forms give the same
    /// gradients up to rounding. `scaling`'s row factors are constants here, as torchscale
    /// 0.3.0 detaches them (see `MultiScaleRetentionLayer.backward`): `.paper` gives the
    /// gradients torchscale's parallel mode computes with autograd.
    ///
    /// Throws `.argument` for fewer than two tokens, `.token` for an id outside the vocabulary,
    /// `.layer` for what a layer rejects (a chunk size below 1), `.config` naming `biases` or
    /// `final_norm` for a model with biases or without a final norm (yet-another-retnet's: the
    /// backward pass covers neither).
    public func gradients(_ tokens: [Int], form: RetentionForm = .parallel, scaling: RowScaling = .exact)
        throws(RetNetError) -> (loss: E, gradients: RetNetGradients<E>)
    {
        try Self.requireTwo(tokens)
        try requirePlainLayout(for: "the backward pass")
        let pass = try forward(tokens, form: form, scaling: scaling)
        let (loss, dLogits) = NextTokenLoss.evaluate(logits: pass.logits, tokens: tokens)
        var gradients = RetNetGradients(zeroFor: self)
        let last = pass.hidden[blocks.count]
        let normed = layerNorm.apply(last)
        do {
            let dNormed = try normed.linearBackward(weight: outputProjection, outputGradient: dLogits,
                                                    weightGradient: &gradients.outputProjection)
            var dX = try layerNorm.backward(last, outputGradient: dNormed, gradients: &gradients.layerNorm)
            for i in blocks.indices.reversed() {
                do {
                    dX = try blocks[i].backward(pass.hidden[i], outputGradient: dX, form: form, scaling: scaling,
                                                gradients: &gradients.blocks[i])
                } catch {
                    throw RetNetError.layer(i, error)
                }
            }
            Embedding.backward(tokens: tokens, outputGradient: dX, scale: E(config.embedScale),
                               into: &gradients.embedTokens)
        } catch let error as RetNetError {
            throw error
        } catch {
            // Every shape was made here from the model's own weights.
            throw .argument(name: "backward", expected: "shapes that fit the model", got: "\(error)")
        }
        return (loss, gradients)
    }

    private static func requireTwo(_ tokens: [Int]) throws(RetNetError) {
        guard tokens.count >= 2 else {
            throw .argument(name: "tokens", expected: "at least 2 tokens (the loss predicts each next token)",
                            got: "\(tokens.count)")
        }
    }
}
