import Matrices
import MultiScaleRetention
import RetNetModel
import TestSupport
import Testing

/// Ragged sizes: nothing is a multiple of 16 or of the 6×16 GEMM tile. E = 12, h = 3
/// (d_k = 4), V = 18 (d_v = 6), F = 22, L = 2, vocabulary 37.
func raggedConfig(_ variant: RetNetConfig.Variant) -> RetNetConfig {
    RetNetConfig(variant: variant, embedDim: 12, valueEmbedDim: 18, retentionHeads: 3, ffnEmbedDim: 22, layers: 2,
                 vocabSize: 37, layernormEps: 1e-6, activationFn: variant == .paper ? .gelu : .swish,
                 noScaleEmbedding: variant == .torchscale)
}

/// Wide enough that every threaded path splits (GEMM row tiles, 4 heads × sequences, rows):
/// E = 64, h = 4 (d_k = 16), V = 100 (d_v = 25), F = 150, L = 3, vocabulary 70.
func wideConfig(_ variant: RetNetConfig.Variant) -> RetNetConfig {
    RetNetConfig(variant: variant, embedDim: 64, valueEmbedDim: 100, retentionHeads: 4, ffnEmbedDim: 150, layers: 3,
                 vocabSize: 70, layernormEps: 1e-6, activationFn: .gelu, noScaleEmbedding: variant == .torchscale)
}

/// A random model in Float (norm weights and biases drawn too, so every gradient is exercised).
func floatModel(_ config: RetNetConfig, seed: UInt64) throws -> RetNet<Float> {
    try RetNet<Double>.random(config: config, seed: seed, normNoise: 0.2).converted(to: Float.self)
}

/// `count` sequences of `length` tokens each.
func batch(_ count: Int, length: Int, vocabulary: Int, seed: UInt64) -> [[Int]] {
    (0..<count).map { tokens(length, vocabulary: vocabulary, seed: seed &+ UInt64($0)) }
}

/// The reference: the Double model's loss and gradients for each sequence in `form`, averaged.
func reference(_ model: RetNet<Float>, _ sequences: [[Int]], form: RetentionForm = .parallel) throws
    -> (loss: Double, gradients: [(name: String, values: [Double])])
{
    let double = try model.converted(to: Double.self)
    var loss = 0.0
    var sums: [(name: String, values: [Double])] = []
    for sequence in sequences {
        let (l, g) = try double.gradients(sequence, form: form, scaling: .exact)
        loss += l
        let named = g.named
        if sums.isEmpty { sums = named.map { ($0.name, [Double](repeating: 0, count: $0.values.count)) } }
        for (i, tensor) in named.enumerated() {
            for j in tensor.values.indices { sums[i].values[j] += tensor.values[j] }
        }
    }
    let count = Double(sequences.count)
    return (loss / count, sums.map { ($0.name, $0.values.map { $0 / count }) })
}

/// ‖got − expected‖₂ / ‖expected‖₂ for one tensor.
func normwiseError(_ got: [Float], _ expected: [Double]) -> Double {
    var difference = 0.0, size = 0.0
    for (g, e) in zip(got, expected) {
        difference += (Double(g) - e) * (Double(g) - e)
        size += e * e
    }
    return (difference / size).squareRoot()
}

/// Expects `many` (a run on more threads) to give `one`'s loss and every gradient bit for bit.
func expectSameBits(_ many: (loss: Float, tensors: [(name: String, values: [Float])]),
                    _ one: (loss: Float, tensors: [(name: String, values: [Float])]), _ label: String) {
    #expect(many.loss.bitPattern == one.loss.bitPattern, "\(label): loss")
    for (a, b) in zip(many.tensors, one.tensors) {
        let differing = zip(a.values, b.values).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(differing == 0, "\(label) \(a.name): \(differing) entries differ")
    }
}
