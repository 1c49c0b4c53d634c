import Matrices

/// The language-model loss: the mean over positions t = 0 … T−2 of the cross-entropy of
/// logits[t] against the next token, tokens[t + 1] (the last position has no next token):
///
///     L = 1/(T−1) Σ_t ( logsumexp(logits[t]) − logits[t, tokens[t+1]] )
///
/// and its gradient with respect to the logits, ∂L/∂logits[t] = (softmax(logits[t]) − e_{tokens[t+1]})/(T−1),
/// zero in the last row. This is PyTorch's `F.cross_entropy(logits[:-1], tokens[1:])` (mean).
/// logsumexp subtracts the row's maximum first, so no e^z overflows.
public enum NextTokenLoss {
    /// L and ∂L/∂logits for logits (T×vocab) and T tokens. The caller checks T ≥ 2 and the ids.
    public static func evaluate<E: RealScalar>(logits: Matrix<E>, tokens: [Int]) -> (loss: E, gradient: Matrix<E>) {
        let (rows, vocabulary) = (logits.rows, logits.columns)
        let count = E(rows - 1)
        var loss: E = 0
        var gradient = Matrix<E>(rows: rows, columns: vocabulary)
        for t in 0..<(rows - 1) {
            var largest = -E.infinity
            for c in 0..<vocabulary { largest = Swift.max(largest, logits[t, c]) }
            var sum: E = 0
            for c in 0..<vocabulary { sum += E.exp(logits[t, c] - largest) }
            let logSum = largest + E.log(sum)
            loss += logSum - logits[t, tokens[t + 1]]
            for c in 0..<vocabulary { gradient[t, c] = E.exp(logits[t, c] - logSum) / count }
            gradient[t, tokens[t + 1]] -= 1 / count
        }
        return (loss / count, gradient)
    }
}
