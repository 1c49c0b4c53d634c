import FastRetNet
import Matrices
import MultiScaleRetention
import RetNetModel
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
        /// Fingerprints of the logits and the state after them, for each of `forms`, then those of
        /// decoding: a chunkwise prefill of the first half, then one `step` per remaining token.
        let expected: [UInt64]
        var description: String { name }
    }

    static let forms: [RetentionForm] = [.parallel, .chunkwise(chunkSize: 5), .chunkwise(chunkSize: 64), .recurrent]

    static let cases: [Case] = [
        Case(name: "ragged paper", config: raggedConfig(.paper), seed: 21, length: 23, expected: [
            0x5052_56a3_19fa_797e, 0x51a8_0590_1d59_5c44, 0x5052_56a3_19fa_797e,
            0x1a6c_0bd0_319d_5b1b, 0x60c5_7c20_d5ac_adb0]),
        Case(name: "ragged torchscale", config: raggedConfig(.torchscale), seed: 22, length: 23, expected: [
            0x5cd8_8ab0_9e81_3d6f, 0x1e49_53c2_bb42_4b1b, 0x5cd8_8ab0_9e81_3d6f,
            0x2aa2_0c4d_4c8b_0be9, 0xbb5c_88dc_8f63_eb9b]),
        // 150 rows: the tiled parallel kernel crosses a 128-row tile; more than one GEMM row band.
        Case(name: "wide paper", config: wideConfig(.paper), seed: 23, length: 150, expected: [
            0x9f29_8b14_8af4_b378, 0x57aa_452f_22e8_2819, 0x3db5_4a94_ee02_7ea9,
            0x5886_ebf5_e692_3e0f, 0xbd55_c62d_a7f7_5843]),
        Case(name: "wide torchscale", config: wideConfig(.torchscale), seed: 24, length: 150, expected: [
            0xc262_3a77_eeaa_e9d4, 0xad9e_2c1a_5d5c_c7c8, 0x248e_5343_4e3c_6349,
            0x9d5e_2f0f_42c4_a384, 0x65b6_ee9c_ea6d_31a2]),
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
            let got = try Self.fingerprints(test, threads: threads)
            let names = Self.forms.map(\.description) + ["chunkwise prefill, then steps"]
            #expect(got.count == test.expected.count)
            for (name, (value, expected)) in zip(names, zip(got, test.expected)) {
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
