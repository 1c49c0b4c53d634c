import Matrices
import MultiScaleRetention

extension RetNet {
    /// Batched decoding: sequence b advances by tokens[b] from states[b] (the sequences may be
    /// at different positions). Returns the B×vocab logits, row b for sequence b, and the B
    /// next states.
    ///
    /// The norms and the FFN run on the B rows at once; each row's retention runs recurrently
    /// against its own sequence's state (in this reference, its projections too), so sequences
    /// never see each other. Every operation on the B rows works row by row, so row b equals
    /// what `step(tokens[b], state: states[b])` returns, bit for bit: batching changes how often
    /// the weights are read (once per step instead of once per sequence), not the numbers.
    ///
    /// Throws `.argument` unless there is one token per state and at least one, `.token` for an
    /// id outside the vocabulary, `.state` for a state of another configuration.
    public func step(_ tokens: [Int], states: [RetNetState<E>]) throws(RetNetError)
        -> (logits: Matrix<E>, states: [RetNetState<E>])
    {
        guard !tokens.isEmpty && tokens.count == states.count else {
            throw .argument(name: "tokens", expected: "one token per state, at least one (\(states.count) states)",
                            got: "\(tokens.count) tokens")
        }
        for (b, id) in tokens.enumerated() where id < 0 || id >= config.vocabSize {
            throw .token(position: b, id: id, vocabularySize: config.vocabSize)
        }
        for (b, state) in states.enumerated() {
            do { try state.validate(for: self) } catch {
                guard case .state(let field, let expected, let got) = error else { throw error }
                throw .state(field: "states[\(b)].\(field)", expected: expected, got: got)
            }
        }
        let scale = E(config.embedScale)
        var x = Matrix<E>(rows: tokens.count, columns: config.embedDim) { b, c in scale * embedTokens[tokens[b], c] }
        var states = states
        for (i, block) in blocks.enumerated() {
            let normed = block.retentionLayerNorm.apply(x)
            var retained = Matrix<E>(rows: tokens.count, columns: config.embedDim)
            for b in tokens.indices {
                do {
                    let pass = try block.retention.pass(normed.row(b), form: .recurrent, from: states[b].layers[i])
                    retained.setRows(from: b, to: pass.output)
                    states[b].layers[i] = pass.state
                } catch {
                    throw .layer(i, error)
                }
            }
            let y = retained + x
            x = block.ffn(block.finalLayerNorm.apply(y), biases: block.ffnBiases) + y
        }
        return (head(x), states)
    }
}
