import FastRetNet
import Matrices
import MultiScaleRetention
import RetNetModel
import TestSupport
import Testing

/// The fast model's outputs, bit for bit, as recorded: a change to how the model is laid out in
/// memory (buffers, workspaces, kernel entry points) must leave every logit and every state entry
/// exactly as it was. The parity tests bound the distance to the reference by 2e-5; these
/// fingerprints pin the exact numbers, so that a reordered sum or a lost fused multiply–add is
/// caught even when it stays within that bound.
///
/// Every operation behind these numbers is IEEE arithmetic in a fixed order (fused
/// multiply–adds, sums left to right, `VectorMath`'s exp and erf) or libm's cos and sin for
/// the rotation, so debug and release builds give the same bits. A deliberate change of the
/// arithmetic changes a fingerprint: record the new one on purpose, with the reason, never
/// silently.
@Suite("FastRetNet: outputs unchanged, bit for bit")
struct FastRetNetFingerprintTests {
    struct Case: CustomStringConvertible, Sendable {
        let name: String
        let config: RetNetConfig
        let seed: UInt64
        let length: Int
        var description: String { name }
    }

    static let forms: [RetentionForm] = [.parallel, .chunkwise(chunkSize: 5), .chunkwise(chunkSize: 64), .recurrent]

    static let cases: [Case] = [
        Case(name: "ragged paper", config: raggedConfig(.paper), seed: 21, length: 23),
        Case(name: "ragged torchscale", config: raggedConfig(.torchscale), seed: 22, length: 23),
        // 150 rows: the tiled parallel kernel crosses a 128-row tile; more than one GEMM row band.
        Case(name: "wide paper", config: wideConfig(.paper), seed: 23, length: 150),
        Case(name: "wide torchscale", config: wideConfig(.torchscale), seed: 24, length: 150),
    ]

    /// Each case's fingerprints of the logits and the state after them, for each of `forms`, then
    /// those of decoding: a chunkwise prefill of the first half, then one `step` per remaining token.
    ///
    /// The wide cases were recorded again when inference took the training path's norms
    /// (`NormRows`: each sum in 16 SIMD lanes, then across them, where the inference norms had
    /// summed left to right), so that a model's forward pass rounds the same in both; the ragged
    /// cases (E = 12, d_v = 6: fewer than 16 entries, summed left to right either way) did not change.
    static let recorded: [String: [UInt64]] = [
        "ragged paper": [0x505256a319fa797e, 0x51a805901d595c44, 0x505256a319fa797e, 0x1a6c0bd0319d5b1b, 0x60c57c20d5acadb0],
        "ragged torchscale": [0x5cd88ab09e813d6f, 0x1e4953c2bb424b1b, 0x5cd88ab09e813d6f, 0x2aa20c4d4c8b0be9, 0xbb5c88dc8f63eb9b],
        "wide paper": [0xe8396b6038774311, 0x7c949d9e79d36fa7, 0xbce5099ef4f6853e, 0xd1591cb1aa26438b, 0x4205bfdd83e89ae6],
        "wide torchscale": [0x4e4a669daaed2e29, 0xd2a2068ddd065847, 0xd13bad5e5b8d7d53, 0x09f007f38b31e9fa, 0xcc60d99ad65a2141],
    ]

    /// FNV-1a over the bit patterns of `values`: any change to any bit of any value changes it
    /// (with probability 1 − 2⁻⁶⁴).
    static func fingerprint(_ values: [Float], into hash: inout UInt64) {
        for value in values {
            var bits = value.bitPattern
            for _ in 0..<4 {
                hash = (hash ^ UInt64(bits & 0xff)) &* 0x100_0000_01b3
                bits >>= 8
            }
        }
    }

    static func fingerprint(logits: [Float], state: FastRetNetState) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        fingerprint(logits, into: &hash)
        for layer in state.layers {
            for head in layer { fingerprint(head.s, into: &hash) }
        }
        fingerprint([Float(state.position)], into: &hash)
        return hash
    }

    /// The fingerprints of `test`'s model: each form over the whole input, then decoding.
    static func fingerprints(_ test: Case, threads: Int) throws -> [UInt64] {
        let fast = try FastRetNet(try model(test.config, seed: test.seed).converted(to: Float.self), threads: threads)
        let input = tokens(test.length, vocabulary: test.config.vocabSize, seed: test.seed + 100)
        var result: [UInt64] = []
        for form in forms {
            let (logits, state) = try fast.forward(input, form: form)
            result.append(fingerprint(logits: logits.storage, state: state))
        }
        let half = test.length / 2
        var (logits, state) = try fast.forward(Array(input[..<half]), form: .chunkwise(chunkSize: 7))
        var rows = logits.storage
        for token in input[half...] { rows += try fast.step(token, state: &state) }
        logits = Matrix(rows: test.length, columns: test.config.vocabSize, entries: rows)
        result.append(fingerprint(logits: logits.storage, state: state))
        return result
    }

    @Test("logits and states equal the recorded fingerprints, 1 and 2 threads", arguments: cases)
    func unchanged(test: Case) throws {
        for threads in [1, 2] {
            let got = try Self.fingerprints(test, threads: threads), recorded = Self.recorded[test.name] ?? []
            let names = Self.forms.map(\.description) + ["chunkwise prefill, then steps"]
            #expect(got.count == recorded.count, "\(test.name): \(got.count) fingerprints, \(recorded.count) recorded")
            for (name, (value, expected)) in zip(names, zip(got, recorded)) {
                #expect(value == expected, """
                    \(test.name), \(name), \(threads) thread(s): fingerprint 0x\(String(value, radix: 16)), \
                    recorded 0x\(String(expected, radix: 16))
                    """)
            }
        }
    }

    /// The fingerprint sees a change in the last bit of one logit: the test above can fail.
    @Test func oneULPChangesTheFingerprint() throws {
        let test = Self.cases[0]
        let fast = try FastRetNet(try model(test.config, seed: test.seed).converted(to: Float.self))
        let (logits, state) = try fast.forward(tokens(5, vocabulary: test.config.vocabSize, seed: 1))
        var nudged = logits.storage
        nudged[nudged.count / 2] = nudged[nudged.count / 2].nextUp
        #expect(Self.fingerprint(logits: nudged, state: state) != Self.fingerprint(logits: logits.storage, state: state))
    }
}
