import Training

/// The model flops of one training step, counted from the shapes as llm.c and PaLM count them:
/// the multiply–adds a step cannot do without, 2 flops each, whatever the code does on top.
///
/// - Projections: every weight matrix but the token embedding (a row lookup, no arithmetic)
///   multiplies each token's row once forward: 2 · (its entries) flops per token. The output
///   projection to the vocabulary is one of them.
/// - Mixing: per layer, head and sequence, the causal half of S = Q Kᵀ and of O = A V — the
///   T(T+1)/2 scores each of d_k multiply–adds, and as many rows of d_v: 2 · T(T+1)/2 · (d_k + d_v).
///   Retention's decay and softmax's exponentials are elementwise, not counted.
/// - Backward: twice the forward (each product's two input gradients: dX = dY Wᵀ and dW = Xᵀ dY;
///   dQ, dK from dS and dA, dV from dO), so a step is 3 × forward.
///
/// AdamW's and clipping's few elementwise operations per weight are not multiply–adds and are
/// left out, as in llm.c's MFU: the ratio to the FMA peak (`bench peak`) then says how much of the
/// machine the arithmetic the model needs gets.
struct TrainingFlops: Equatable {
    /// Forward flops of the projections (every matrix but the embedding).
    let projections: Double
    /// Forward flops of the heads' score and output products (the causal half).
    let mixing: Double

    /// Forward and backward: 3 × the forward.
    var step: Double { 3 * (projections + mixing) }

    /// `parameters` named as in a checkpoint (the embedding is `embed_tokens.weight`); `layers`
    /// blocks whose heads have keys of `keyWidth` and values of `valueWidth` in all (however they
    /// are split over the heads); `sequences` sequences of `context` predicted tokens.
    init(parameters: [NamedTensor], layers: Int, keyWidth: Int, valueWidth: Int, sequences: Int, context: Int) {
        let tokens = Double(sequences * context)
        let matrixEntries = parameters.filter { $0.shape.count == 2 && $0.name != "embed_tokens.weight" }
            .reduce(0) { $0 + $1.values.count }
        projections = 2 * Double(matrixEntries) * tokens
        let scores = Double(context) * Double(context + 1) / 2
        // Σ over heads of (d_k + d_v) = keyWidth + valueWidth.
        mixing = 2 * scores * Double(keyWidth + valueWidth) * Double(layers * sequences)
    }
}
