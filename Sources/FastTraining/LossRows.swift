/// `NextTokenLoss` on rows of a flat Float buffer, for rows that each have a target: with
/// logsumexp taken after subtracting the row's largest logit,
///
///     ℓ_r = logsumexp(logits_r) − logits_r[target_r],     ∂L/∂logits_r = (softmax(logits_r) − e_target)/R
///
/// for the mean L = Σ_r ℓ_r / R over all R rows of the batch. Rows are independent; the caller
/// splits them between threads and adds the ℓ_r in row order.
enum LossRows {
    /// ℓ_r into `losses[r]` and ∂L/∂logits_r into `gradient` for the rows `rows` of the
    /// rows×`vocabulary` logits; `count` is R.
    static func evaluate(_ logits: UnsafePointer<Float>, targets: [Int], rows: Range<Int>, vocabulary: Int, count: Int,
                         losses: UnsafeMutablePointer<Float>, gradient: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(count)
        for r in rows {
            let row = logits + r * vocabulary, out = gradient + r * vocabulary
            var largest = -Float.infinity
            for c in 0..<vocabulary { largest = Swift.max(largest, row[c]) }
            var sum: Float = 0
            for c in 0..<vocabulary { sum += Float.exp(row[c] - largest) }
            let logSum = largest + Float.log(sum)
            losses[r] = logSum - row[targets[r]]
            for c in 0..<vocabulary { out[c] = Float.exp(row[c] - logSum) * scale }
            out[targets[r]] -= scale
        }
    }
}
