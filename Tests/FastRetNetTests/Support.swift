import FastRetNet
import Foundation
import Matrices
import RetNetModel
import Testing

/// max |got − expected| / max |expected| (∞ for a shape mismatch or a NaN).
func relativeError(_ got: Matrix<Float>, _ expected: Matrix<Float>) -> Double {
    guard got.shape == expected.shape else { return .infinity }
    if got.storage.isEmpty { return 0 }
    guard got.isFinite else { return .infinity }
    return got.deviation(from: expected).maxRelative
}

func expectClose(_ got: Matrix<Float>, _ expected: Matrix<Float>, within bound: Double, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    let error = relativeError(got, expected)
    #expect(error <= bound, "\(what): max relative error \(Format.scientific(error, 2)) exceeds \(Format.scientific(bound, 1))",
            sourceLocation: sourceLocation)
}

/// Ragged sizes: nothing is a multiple of 16 or of the 6×16 GEMM tile. E = 12, h = 3
/// (d_k = 4), V = 18 (d_v = 6), F = 22, L = 2, vocabulary 37.
func raggedConfig(_ variant: RetNetConfig.Variant) -> RetNetConfig {
    RetNetConfig(variant: variant, embedDim: 12, valueEmbedDim: 18, retentionHeads: 3, ffnEmbedDim: 22, layers: 2,
                 vocabSize: 37, layernormEps: 1e-6, activationFn: variant == .paper ? .gelu : .swish,
                 noScaleEmbedding: variant == .torchscale, recurrentChunkSize: 5)
}

/// Wide enough that every threaded path splits: E = 64, h = 4 (d_k = 16), V = 100 (d_v = 25),
/// F = 150, vocabulary 130 (three 64-column panels in a decoding step's output projection).
func wideConfig(_ variant: RetNetConfig.Variant) -> RetNetConfig {
    RetNetConfig(variant: variant, embedDim: 64, valueEmbedDim: 100, retentionHeads: 4, ffnEmbedDim: 150, layers: 2,
                 vocabSize: 130, layernormEps: 1e-6, activationFn: .gelu, recurrentChunkSize: 7)
}

func model(_ config: RetNetConfig, seed: UInt64 = 1) throws -> RetNet<Double> {
    try RetNet<Double>.random(config: config, seed: seed, normNoise: 0.2)
}

/// Seeded token ids in 0..<vocabulary.
func tokens(_ count: Int, vocabulary: Int, seed: UInt64) -> [Int] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in Int(rng.next() % UInt64(vocabulary)) }
}

/// The committed torchscale fixtures (Tests/Fixtures/torchscale, made by make_fixtures.py).
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/torchscale")
    static let names = ["one-head-gelu", "two-heads-swish-wide-values", "four-heads-three-layers-eps0",
                        "scaled-embedding-eps0", "wide-head-key-dim-128"]
    static func directory(_ name: String) -> URL { root.appendingPathComponent(name) }
}
