import Layers
import Matrices

extension Transformer {
    /// The next-token loss for `tokens` from position 0 (`NextTokenLoss` of `forward`'s logits).
    ///
    /// Throws `.argument` for fewer than two tokens (no position has a next token), and what
    /// `forward` throws.
    public func loss(_ tokens: [Int]) throws(TransformerError) -> E {
        try Self.requireTwo(tokens)
        return NextTokenLoss.evaluate(logits: try forward(tokens), tokens: tokens).loss
    }

    /// The next-token loss and its gradient with respect to every weight, by an explicit
    /// backward pass, as `RetNet.gradients` takes the RetNet apart: the forward pass keeps the
    /// hidden states X⁰ … Xᴸ, then
    ///
    ///     logits = Norm(Xᴸ) W_outᵀ:  dNorm = dlogits W_out,  dW_out += dlogitsᵀ Norm(Xᴸ)
    ///     final norm:                dXᴸ from `BlockNorm.backward`
    ///     blocks, last first:        dXˡ from `TransformerBlock.backward` (each recomputes its forward)
    ///     embedding:                 X⁰_n = s · E[tokens[n]]:  dE[tokens[n]] += s · dX⁰_n
    ///
    /// The loss is the one `loss(_:)` returns, bit for bit: the forward pass is the same code.
    ///
    /// Throws `.argument` for fewer than two tokens and `.token` for an id outside the vocabulary.
    public func gradients(_ tokens: [Int]) throws(TransformerError) -> (loss: E, gradients: TransformerGradients<E>) {
        try Self.requireTwo(tokens)
        let hidden = try hiddenStates(tokens)
        let last = hidden[blocks.count]
        let normed = layerNorm.apply(last)
        let (loss, dLogits) = NextTokenLoss.evaluate(logits: normed.applyingLinear(outputProjection), tokens: tokens)
        var gradients = TransformerGradients(zeroFor: self)
        var dX: Matrix<E>
        do throws(ShapeError) {
            let dNormed = try normed.linearBackward(weight: outputProjection, outputGradient: dLogits,
                                                    weightGradient: &gradients.outputProjection)
            dX = try layerNorm.backward(last, outputGradient: dNormed, gradients: &gradients.layerNorm)
        } catch {
            // Every shape was made here from the model's own weights.
            throw .argument(name: error.argument, expected: error.expected, got: error.got)
        }
        for i in blocks.indices.reversed() {
            dX = try blocks[i].backward(hidden[i], outputGradient: dX, gradients: &gradients.blocks[i])
        }
        Embedding.backward(tokens: tokens, outputGradient: dX, scale: E(config.embedScale),
                           into: &gradients.embedTokens)
        return (loss, gradients)
    }

    /// X⁰ … Xᴸ for `tokens` from position 0: the inputs of the blocks and the last output, as
    /// `prefill` computes them.
    func hiddenStates(_ tokens: [Int]) throws(TransformerError) -> [Matrix<E>] {
        try check(tokens)
        var hidden = [embedded(tokens)]
        for block in blocks {
            hidden.append(try block(hidden[hidden.count - 1]).output)
        }
        return hidden
    }

    private static func requireTwo(_ tokens: [Int]) throws(TransformerError) {
        guard tokens.count >= 2 else {
            throw .argument(name: "tokens", expected: "at least 2 tokens (the loss predicts each next token)",
                            got: "\(tokens.count)")
        }
    }
}
