import Matrices
import MultiScaleRetention
import RetNetModel
import Testing

func relativeError<E: RealScalar>(_ got: Matrix<E>, _ expected: Matrix<E>) -> Double {
    guard got.shape == expected.shape else { return .infinity }
    if got.storage.isEmpty { return 0 }
    guard got.isFinite else { return .infinity }
    return got.deviation(from: expected).maxRelative
}

func expectClose<E: RealScalar>(_ got: Matrix<E>, _ expected: Matrix<E>, within bound: Double, _ what: String,
                                sourceLocation: SourceLocation = #_sourceLocation) {
    let error = relativeError(got, expected)
    let at = got.shape == expected.shape && !got.storage.isEmpty ? got.deviation(from: expected) : nil
    #expect(error <= bound, """
        \(what): max relative error \(Format.scientific(error, 2)) exceeds \(Format.scientific(bound, 1))\
        \(at.map { " at [\($0.at.row), \($0.at.column)]: got \($0.got), expected \($0.expected)" } ?? "")
        """, sourceLocation: sourceLocation)
}

/// A tiny configuration: E = 8, V = 12, h = 2 (d_k = 4, d_v = 6), F = 10, L = 2, vocabulary 11.
func tinyConfig(_ variant: RetNetConfig.Variant, eps: Double = 0) -> RetNetConfig {
    RetNetConfig(variant: variant, embedDim: 8, valueEmbedDim: 12, retentionHeads: 2, ffnEmbedDim: 10, layers: 2,
                 vocabSize: 11, layernormEps: eps, activationFn: variant == .paper ? .gelu : .swish,
                 noScaleEmbedding: variant == .paper, recurrentChunkSize: 3)
}

func tinyModel(_ variant: RetNetConfig.Variant, eps: Double = 0, seed: UInt64 = 1) throws -> RetNet<Double> {
    try RetNet<Double>.random(config: tinyConfig(variant, eps: eps), seed: seed, normNoise: 0.2)
}

/// Seeded token ids in 0..<vocabulary.
func tokens(_ count: Int, vocabulary: Int = 11, seed: UInt64) -> [Int] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in Int(rng.next() % UInt64(vocabulary)) }
}

func stack<E>(_ rows: [Matrix<E>]) -> Matrix<E> {
    rows.dropFirst().reduce(rows[0]) { $0.stacked(above: $1) }
}
