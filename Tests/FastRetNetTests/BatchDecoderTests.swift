import FastRetNet
import Matrices
import RetNetModel
import TestSupport
import Testing

@Suite("FastRetNet.BatchDecoder: B sequences per step")
struct BatchDecoderTests {
    /// The wide model on `threads` threads and the states after prompts of 11, 30 and 17 tokens:
    /// sequences at different positions, as a batch has.
    static func prefilled(threads: Int, variant: RetNetConfig.Variant = .torchscale) throws
        -> (model: FastRetNet, states: [FastRetNetState])
    {
        let fast = try FastRetNet(try model(wideConfig(variant), seed: 31).converted(to: Float.self), threads: threads)
        let states = try [11, 30, 17].enumerated().map { i, length throws(RetNetError) in
            try fast.forward(tokens(length, vocabulary: 130, seed: 40 + UInt64(i)), form: .chunkwise(chunkSize: 4)).state
        }
        return (fast, states)
    }

    /// In a batch the products are the multi-row panel kernel, alone (`Decoder`) the one-row
    /// kernel; each sequence's heads step from its own state. Equal bit for bit, for 1, 2 and 3
    /// threads (heads and panels split differently): a sequence's numbers depend on nothing else.
    @Test("a batch of B sequences equals B single-sequence decoders bit for bit, for any thread count",
          arguments: RetNetConfig.Variant.allCases, [1, 2, 3])
    func batchEqualsSingleSequences(variant: RetNetConfig.Variant, threads: Int) throws {
        let (fast, states) = try Self.prefilled(threads: threads, variant: variant)
        let single = try fast.with(threads: 1)
        let batch = try FastRetNet.BatchDecoder(fast, states: states)
        let alone = try states.map { state throws(RetNetError) in try FastRetNet.Decoder(single, from: state) }
        #expect(batch.states == states)
        let steps = [tokens(14, vocabulary: 130, seed: 50), tokens(14, vocabulary: 130, seed: 51),
                     tokens(14, vocabulary: 130, seed: 52)]
        for i in 0..<14 {
            try batch.step(steps.map { $0[i] })
            for b in 0..<3 {
                try alone[b].step(steps[b][i])
                #expect(Array(batch.logits[(b * 130)..<((b + 1) * 130)]) == alone[b].logits,
                        "\(variant), \(threads) threads: sequence \(b), step \(i)")
            }
        }
        #expect(batch.states == alone.map(\.state))
        #expect(batch.states.map(\.position) == [25, 44, 31])
    }

    /// The reference's batched step (`RetNet.step(_:states:)`) from the same prompts: each row
    /// as close to the Double model as the Float reference is (`expectAsCloseAsFloatReference`).
    @Test("a batch stays as close to the Double reference's batched step as the Float reference",
          arguments: RetNetConfig.Variant.allCases)
    func batchMatchesReference(variant: RetNetConfig.Variant) throws {
        let double = try model(wideConfig(variant), seed: 32)
        let float = try double.converted(to: Float.self)
        let fast = try FastRetNet(float, threads: 2)
        let prompts = [tokens(9, vocabulary: 130, seed: 60), tokens(21, vocabulary: 130, seed: 61)]
        var exactStates = try prompts.map { p throws(RetNetError) in try double.prefill(p, form: .recurrent).state }
        var floatStates = try prompts.map { p throws(RetNetError) in try float.prefill(p, form: .recurrent).state }
        let decoder = try FastRetNet.BatchDecoder(fast, states: floatStates.map(FastRetNetState.init))
        for i in 0..<8 {
            let next = [tokens(8, vocabulary: 130, seed: 62)[i], tokens(8, vocabulary: 130, seed: 63)[i]]
            let exact: Matrix<Double>, reference: Matrix<Float>
            (exact, exactStates) = try double.step(next, states: exactStates)
            (reference, floatStates) = try float.step(next, states: floatStates)
            try decoder.step(next)
            for b in 0..<2 {
                let got = Matrix(rows: 1, columns: 130, entries: Array(decoder.logits[(b * 130)..<((b + 1) * 130)]))
                expectAsCloseAsFloatReference(got, reference: reference.row(b), exact: exact.row(b),
                                              "\(variant) step \(i), sequence \(b)")
            }
        }
    }

    @Test("batched decoding steps allocate nothing on the decoding thread", .enabled(if: canCountAllocations, allocationCountingUnavailable),
          arguments: [1, 2])
    func decodingAllocatesNothing(threads: Int) throws {
        let (fast, states) = try Self.prefilled(threads: threads)
        let decoder = try FastRetNet.BatchDecoder(fast, states: states)
        try decoder.step([3, 4, 5])  // what the runtime sets up once, outside the count
        let input = tokens(12, vocabulary: 130, seed: 33)
        let triples = (0..<12).map { [input[$0], input[11 - $0], 7] }
        var sum: Float = 0
        let count = try allocations { () throws(RetNetError) in
            for i in 0..<12 {
                try decoder.step(triples[i])
                sum += decoder.logits[input[i]]
            }
        }
        #expect(count == 0, "\(threads) thread(s): \(count) heap allocations in 12 batched steps")
        #expect(sum.isFinite && decoder.states[1].position == 30 + 1 + 12)
    }

    @Test("bad input throws and changes nothing")
    func badInput() throws {
        let (fast, states) = try Self.prefilled(threads: 1)
        #expect(throws: RetNetError.argument(name: "batch", expected: "at least one sequence (B ≥ 1)", got: "0")) {
            try FastRetNet.BatchDecoder(fast, batch: 0)
        }
        #expect(throws: RetNetError.argument(name: "states", expected: "one state per sequence, at least one (batch B ≥ 1)",
                                             got: "none")) { try FastRetNet.BatchDecoder(fast, states: []) }
        let decoder = try FastRetNet.BatchDecoder(fast, states: states)
        #expect(throws: RetNetError.argument(name: "tokens", expected: "one token per sequence (B = 3)", got: "4 tokens")) {
            try decoder.step([1, 2, 3, 4])
        }
        #expect(throws: RetNetError.token(position: 1, id: -1, vocabularySize: 130)) { try decoder.step([1, -1, 3]) }
        #expect(decoder.states == states && decoder.logits.allSatisfy { $0 == 0 })
        let other = try FastRetNet(try model(raggedConfig(.torchscale)).converted(to: Float.self))
        #expect(throws: RetNetError.self) { try FastRetNet.BatchDecoder(fast, states: [states[0], other.emptyState()]) }
        #expect(try FastRetNet.BatchDecoder(fast, batch: 2).states == [fast.emptyState(), fast.emptyState()])
    }
}
