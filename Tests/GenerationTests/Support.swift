import DecodingCosts
import FastRetNet
import FastTransformer
import Generation
import Layers
import Matrices
import RetNetModel
import Transformer

/// The tiny RetNet of the model's own tests: E = 8, V = 12, h = 2 (d_k = 4, d_v = 6), F = 10,
/// L = 2, vocabulary 11, recurrent_chunk_size 3, ε = 1e-6, norms perturbed from 1.
func tinyRetNet() throws -> RetNet<Double> {
    let config = RetNetConfig(variant: .torchscale, embedDim: 8, valueEmbedDim: 12, retentionHeads: 2, ffnEmbedDim: 10, layers: 2,
                              vocabSize: 11, layernormEps: 1e-6, activationFn: .swish, recurrentChunkSize: 3)
    return try RetNet<Double>.random(config: config, seed: 1, normNoise: 0.2)
}

/// A Double Transformer of a one-layer RetNet's shape (E = 8, h = 2, F = 16) over tiny
/// Shakespeare's 65 characters.
func tinyTransformer() throws -> Transformer<Double> {
    let retnet = RetNetConfig(variant: .torchscale, embedDim: 8, valueEmbedDim: 8, retentionHeads: 2, ffnEmbedDim: 16, layers: 1,
                              vocabSize: 65)
    return try Transformer<Double>.random(config: TransformerConfig(matching: retnet), seed: 11, normNoise: 0.1)
}

/// A Float configuration wide enough for whole SIMD rows on the kernels: E = V = 32, h = 2,
/// F = 64, L = 2, vocabulary 65, recurrent_chunk_size 4.
let floatConfig = RetNetConfig(variant: .torchscale, embedDim: 32, valueEmbedDim: 32, retentionHeads: 2, ffnEmbedDim: 64,
                               layers: 2, vocabSize: 65, recurrentChunkSize: 4)

/// The reference RetNet<Float> of `floatConfig`, and the same model on the kernels.
func floatRetNets() throws -> (reference: RetNet<Float>, fast: FastRetNet) {
    let reference = try RetNet<Float>.random(config: floatConfig, seed: 12, normNoise: 0.1)
    return (reference, try FastRetNet(reference))
}

/// The reference Transformer<Float> matched to `floatConfig`, and the same model on the kernels.
func floatTransformers() throws -> (reference: Transformer<Float>, fast: FastTransformer) {
    let reference = try Transformer<Float>.random(config: TransformerConfig(matching: floatConfig), seed: 12, normNoise: 0.1)
    return (reference, try FastTransformer(reference))
}

/// The samplers every model is generated with: greedy, and a seeded draw.
let samplers: [Sampler] = [.greedy, .temperature(0.9, seed: 5)]

/// The token a sampler chooses from a row of logits (1×vocab), drawn by hand: argmax, or a draw
/// from softmax(ℓ/T) with a SplitMix64 seeded by the sampler's seed.
struct HandSampler {
    let sampler: Sampler
    var generator: SplitMix64

    init(_ sampler: Sampler) {
        self.sampler = sampler
        generator = SplitMix64(seed: { if case .temperature(_, let seed) = sampler { seed } else { 0 } }())
    }

    mutating func choose<E: RealScalar>(_ row: Matrix<E>) -> Int {
        switch sampler {
        case .greedy: Sampler.argmax(row)
        case .temperature(let t, _): Sampler.draw(row, temperature: t, using: &generator)
        }
    }
}

/// nanoGPT's loop as it is written: every new token from a forward pass over the last `context`
/// tokens of the text so far (all of it when nil), read from position 0; `forward` returns the
/// logits of every position (n×vocab). The new tokens and the logits each was chosen from.
func rereading<E: RealScalar>(_ prompt: [Int], count: Int, sampler: Sampler, context: Int? = nil,
                              forward: ([Int]) throws -> Matrix<E>) rethrows -> (tokens: [Int], logits: Matrix<E>)
{
    var hand = HandSampler(sampler), text = prompt, tokens: [Int] = [], rows: [Matrix<E>] = []
    for _ in 0..<count {
        let logits = try forward(Array(text.suffix(context ?? text.count)))
        let last = logits.row(logits.rows - 1)
        let next = hand.choose(last)
        rows.append(last)
        tokens.append(next)
        text.append(next)
    }
    return (tokens, rows.dropFirst().reduce(rows[0]) { $0.stacked(above: $1) })
}

/// A model's own prefill and decoding step, written out: `prefill` reads the prompt and returns
/// its last row of logits (1×vocab) and a cache, `step` reads one token into the cache and returns
/// its logits; each new token after the first is the last one stepped.
func prefillThenStep<E: RealScalar, Cache>(_ prompt: [Int], count: Int, sampler: Sampler,
                                           prefill: ([Int]) throws -> (last: Matrix<E>, cache: Cache),
                                           step: (Int, inout Cache) throws -> Matrix<E>) rethrows -> (tokens: [Int], logits: Matrix<E>)
{
    var hand = HandSampler(sampler), tokens: [Int] = [], rows: [Matrix<E>] = []
    var (last, cache) = try prefill(prompt)
    for i in 0..<count {
        if i > 0 { last = try step(tokens[i - 1], &cache) }
        rows.append(last)
        tokens.append(hand.choose(last))
    }
    return (tokens, rows.dropFirst().reduce(rows[0]) { $0.stacked(above: $1) })
}

/// The largest absolute difference between two matrices of logits.
func gap<E: RealScalar>(_ a: Matrix<E>, _ b: Matrix<E>) -> Double {
    zip(a.storage, b.storage).map { Double(abs($0 - $1)) }.max() ?? 0
}
