import Layers
import Matrices
import MultiScaleRetention

/// What a model of yet-another-retnet's layout adds to the bias-free, final-norm one: the head
/// without a norm when `final_norm` is false, the biases, and the checks that refuse such a
/// model where only the plain layout is implemented.
extension RetNet {
    /// The language-model head on the last block's output: Norm(Xᴸ) W_outᵀ (+ b_out when the
    /// model has biases), without the norm when `config.finalNorm` is false.
    func head(_ x: Matrix<E>) -> Matrix<E> {
        (config.finalNorm ? layerNorm.apply(x) : x).applyingLinear(outputProjection, bias: outputBias)
    }

    /// Throws `.config` naming `biases` or `final_norm` unless the model has neither biases nor a
    /// missing final norm: what `purpose` (the backward pass, the fast models) implements.
    public func requirePlainLayout(for purpose: String) throws(RetNetError) {
        if config.biases {
            throw .config(field: "biases", expected: "false: \(purpose) covers models without biases", got: "true")
        }
        if !config.finalNorm {
            throw .config(field: "final_norm", expected: "true: \(purpose) covers models with a norm before the head",
                          got: "false")
        }
    }

    /// Throws naming the first of block `i`'s biases that is missing, present without
    /// `config.biases`, or of the wrong length.
    static func checkBiases(_ block: RetNetBlock<E>, index i: Int, config: RetNetConfig) throws(ShapeError) {
        let field = "layers.\(i)"
        guard (block.retention.biases != nil) == config.biases && (block.ffnBiases != nil) == config.biases else {
            throw ShapeError(argument: "\(field) biases", expected: config.biases ? "biases in retention and ffn (biases = true)"
                             : "none (biases = false)",
                             got: "retention: \(block.retention.biases == nil ? "none" : "biases"), ffn: \(block.ffnBiases == nil ? "none" : "biases")")
        }
        try block.ffnBiases?.validate(embed: config.embedDim, hidden: config.ffnEmbedDim, field: "\(field).ffn")
    }
}
