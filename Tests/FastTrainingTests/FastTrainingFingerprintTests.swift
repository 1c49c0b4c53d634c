import FastTraining
import Matrices
import RetNetModel
import Testing
import Transformer

/// FNV-1a over the bits of a loss and every gradient, in order.
private func fingerprint(_ loss: Float, _ tensors: [(name: String, values: [Float])]) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    func mix(_ value: Float) {
        var bits = value.bitPattern
        for _ in 0..<4 {
            hash = (hash ^ UInt64(bits & 0xff)) &* 0x100_0000_01b3
            bits >>= 8
        }
    }
    mix(loss)
    for tensor in tensors { tensor.values.forEach(mix) }
    return hash
}

/// The bits both fast gradient paths give on fixed models and batches, recorded: a change to the
/// training path that does not mean to change the arithmetic (a new structure, buffers reused,
/// work split differently) must leave them as they are. Like FastRetNet's fingerprints they depend
/// on the C library's cos and sin (the rotation tables) and are recorded on Linux.
@Suite("FastGradients and FastTransformerGradients fingerprints")
struct FastTrainingFingerprintTests {
    static let cases: [(variant: RetNetConfig.Variant, length: Int)] = [(.paper, 9), (.torchscale, 9), (.paper, 48), (.torchscale, 48)]

    @Test("RetNet and Transformer, sequences short enough to keep their scores (T = 9 ≤ d_k + d_v = 41) and longer (T = 48), 1 and 2 threads", arguments: 0..<4)
    func fingerprints(_ index: Int) throws {
        let (variant, length) = Self.cases[index]
        let config = wideConfig(variant)
        let sequences = batch(3, length: length, vocabulary: config.vocabSize, seed: 11)
        let model = try floatModel(config, seed: 5)
        let transformer = try floatTransformer(config, seed: 5)
        for threads in [1, 2] {
            let (loss, gradients) = try FastGradients(threads: threads).lossAndGradients(model, sequences: sequences)
            let retnet = fingerprint(loss, gradients.named.map { ($0.name, $0.values) })
            let (tLoss, tGradients) = try FastTransformerGradients(threads: threads).lossAndGradients(transformer,
                                                                                                     sequences: sequences)
            let attention = fingerprint(tLoss, tGradients.named.map { ($0.name, $0.values) })
            #expect(retnet == Self.retnet[index], "RetNet case \(index), \(threads) thread(s)")
            #expect(attention == Self.transformer[index], "Transformer case \(index), \(threads) thread(s)")
        }
    }

    static let retnet: [UInt64] = [0xb0ae_3628_eb38_7840, 0x65c0_86fd_a0d6_d13c, 0x248d_ee8e_bd43_800e, 0x5443_7470_05c1_f3bf]
    static let transformer: [UInt64] = [0x8f2e_07ce_780b_c12a, 0x4269_b036_3069_13c7, 0x9271_e018_96df_20b3, 0xca56_c362_4faa_787e]
}
