/// What the heads of one block cost in a training step, counted from the shapes the way the code
/// runs them (`FastTraining`'s four head forms), for S sequences of n tokens:
///
/// - `kept`: floats kept from the forward pass for the backward pass (Q, K, V; the parallel form's
///   weights when n ≤ d_k + d_v; the chunkwise form's ⌈n/B⌉ states; the tiled form's outputs and
///   log-sum-exps), per block.
/// - `scratch`: floats of one thread's head scratch (the scores and their gradient among them).
/// - `scores`: of those, the floats of scores and score gradients held at once (2n² or 2B²).
/// - `multiplyAdds`: of the heads' products, forward and backward, per block.
/// - `dependentSteps`: the longest chain of products that must wait for each other within one head.
///
/// The rest of a block (norms, projections, FFN) keeps n × a few widths and costs the same in
/// every form: these counts are where the forms differ.
enum HeadForm: String, CaseIterable {
    case retnetParallel = "RetNet parallel"
    case retnetChunkwise = "RetNet chunkwise"
    case transformerNaive = "Transformer naive"
    case transformerTiled = "Transformer tiled"
}

struct HeadShape {
    /// E, V, h; d_k = E/h, d_v = V/h.
    let embed: Int, value: Int, heads: Int
    var dk: Int { embed / heads }
    var dv: Int { value / heads }
}

struct StepCost {
    let kept: Int, scratch: Int, scores: Int, multiplyAdds: Int, dependentSteps: Int

    /// The counts for `form` at n = `length`, S = `sequences`, block (or chunk) size B = `block`
    /// (at most n: a longer B is one block).
    init(_ form: HeadForm, _ s: HeadShape, length n: Int, sequences: Int = 1, block: Int) {
        let (h, dk, dv) = (s.heads, s.dk, s.dv)
        let b = min(block, n), blocks = (n + b - 1) / b
        let qkv = sequences * n * (2 * s.embed + s.value)
        let items = sequences * h
        switch form {
        case .retnetParallel, .transformerNaive:
            let keepsWeights = n <= dk + dv
            kept = qkv + (keepsWeights ? items * n * n : 0)
            scratch = 2 * n * n + 2 * n * dk + n * dv + dv
            scores = 2 * n * n
            multiplyAdds = items * (n * n * (3 * dk + 3 * dv) + (keepsWeights ? 0 : n * n * dk))
            dependentSteps = 1
        case .retnetChunkwise:
            kept = qkv + items * blocks * dk * dv
            scratch = 2 * b * b + 2 * b * dk + n * dv + dv + 2 * b * max(dk, dv) + dk * dv
            scores = 2 * b * b
            var perItem = 0
            for i in 0..<blocks {
                let rows = min(b, n - i * b)
                perItem += rows * rows * (4 * dk + 3 * dv)
                perItem += rows * dk * dv * (3 * (i > 0 ? 1 : 0) + 3 * (i + 1 < blocks ? 1 : 0))
            }
            multiplyAdds = items * perItem
            dependentSteps = blocks
        case .transformerTiled:
            kept = qkv + items * n * (dv + 1)
            scratch = 2 * b * b + 2 * n * dk + dv + 2 * b * max(dk, dv) + n + 2 * b
            scores = 2 * b * b
            var perItem = 0
            for i in 0..<blocks {
                let rows = min(b, n - i * b)
                for j in 0...i { perItem += rows * min(b, n - j * b) * (4 * dk + 3 * dv) }
            }
            multiplyAdds = items * perItem
            dependentSteps = blocks
        }
    }
}
