#if canImport(Glibc)
import Glibc
#endif
import FastRetNet
import Matrices
import RetNetModel
import TestSupport
import Testing

@Suite("FastRetNet.Decoder: decoding without allocation")
struct DecoderTests {
    /// A prefilled decoder for the wide model (two layers, four heads, three 64-column panels
    /// in the output projection: every threaded path splits) and the model it decodes.
    static func prefilled(threads: Int, variant: RetNetConfig.Variant = .torchscale) throws
        -> (model: FastRetNet, decoder: FastRetNet.Decoder, state: FastRetNetState)
    {
        let fast = try FastRetNet(try model(wideConfig(variant), seed: 31).converted(to: Float.self), threads: threads)
        let state = try fast.forward(tokens(11, vocabulary: 130, seed: 32), form: .chunkwise(chunkSize: 4)).state
        return (fast, try FastRetNet.Decoder(fast, from: state), state)
    }

    @Test("decoding steps allocate nothing on the decoding thread", .enabled(if: canCountAllocations, allocationCountingUnavailable),
          arguments: [1, 2])
    func decodingAllocatesNothing(threads: Int) throws {
        let (_, decoder, _) = try Self.prefilled(threads: threads)
        // The first call of a code path may set up what the runtime makes once (type metadata):
        // one step outside the count.
        try decoder.step(3)
        let input = tokens(40, vocabulary: 130, seed: 33)
        var sum: Float = 0
        let count = try allocations { () throws(RetNetError) in
            // By index: iterating an array calls generic code that allocates in debug builds.
            for i in 0..<input.count {
                try decoder.step(input[i])
                sum += decoder.logits[input[i]]  // reading the logits copies nothing
            }
        }
        // With 2 threads the helper thread's parts of each step are not counted (counts are per
        // thread, and other tests allocate on other threads meanwhile): they run the same code,
        // on other bands of panels or heads, as the parts the decoding thread takes itself.
        #expect(count == 0, "\(threads) thread(s): \(count) heap allocations in \(input.count) decoding steps")
        #expect(sum.isFinite && decoder.state.position == 11 + 1 + input.count)
    }

    /// The count above can fail: the same kind of decoding step through `FastRetNet.step`,
    /// which allocates its buffers and returns new logits, is seen allocating.
    @Test("the counter sees the allocations of FastRetNet.step", .enabled(if: canCountAllocations, allocationCountingUnavailable))
    func theCounterSeesAllocations() throws {
        let (fast, _, prefilled) = try Self.prefilled(threads: 1)
        var state = prefilled
        _ = try fast.step(3, state: &state)
        var logits: [Float] = []
        let count = try allocations { () throws(RetNetError) in logits = try fast.step(4, state: &state) }
        #expect(count >= 2, "FastRetNet.step: \(count) allocations (expected its workspace and its logits)")
        #expect(logits.count == 130)
    }

    /// The tests above are skipped where allocations cannot be counted; on Linux (glibc) that is
    /// only under ThreadSanitizer, told here by its runtime's entry point, not by the counter's
    /// own build condition: a counter that stopped counting in an ordinary build fails here
    /// rather than skipping them.
    @Test("allocations are counted on Linux, but under ThreadSanitizer")
    func countingIsAvailableOnLinux() {
        #if os(Linux) && canImport(Glibc)
        let sanitized = dlsym(nil, "__tsan_init") != nil
        #expect(canCountAllocations == !sanitized,
                "sanitized: \(sanitized); \(allocationCountingUnavailable?.rawValue ?? "counting")")
        #endif
    }

    @Test("a decoder's steps equal FastRetNet.step bit for bit, logits and state", arguments: RetNetConfig.Variant.allCases)
    func decoderEqualsStep(variant: RetNetConfig.Variant) throws {
        let (fast, decoder, prefilled) = try Self.prefilled(threads: 2, variant: variant)
        var state = prefilled
        for token in tokens(12, vocabulary: 130, seed: 34) {
            let expected = try fast.step(token, state: &state)
            try decoder.step(token)
            #expect(decoder.logits == expected, "\(variant): logits at position \(state.position - 1)")
        }
        #expect(decoder.state == state)
        // The state handed in is the caller's still: the decoder wrote its own copy.
        let again = try FastRetNet.Decoder(fast, from: prefilled)
        #expect(prefilled.position == 11 && again.state == prefilled)
    }

    @Test("a kept value stays what it was: the next step copies it first")
    func keptValuesDoNotChange() throws {
        let (_, decoder, _) = try Self.prefilled(threads: 1)
        try decoder.step(5)
        let (logits, state) = (decoder.logits, decoder.state)
        let (logitsCopy, sCopy) = (logits.map { $0 }, state.layers[0][0].s.map { $0 })
        try decoder.step(6)
        #expect(logits == logitsCopy && state.layers[0][0].s == sCopy)
        #expect(decoder.logits != logits && decoder.state.position == state.position + 1)
    }

    @Test("bad input throws and changes nothing")
    func badInput() throws {
        let (fast, decoder, _) = try Self.prefilled(threads: 1)
        let before = decoder.state
        #expect(throws: RetNetError.token(position: 0, id: 130, vocabularySize: 130)) { try decoder.step(130) }
        #expect(throws: RetNetError.token(position: 0, id: -1, vocabularySize: 130)) { try decoder.step(-1) }
        #expect(decoder.state == before && decoder.logits.allSatisfy { $0 == 0 })
        let other = try FastRetNet(try model(raggedConfig(.torchscale)).converted(to: Float.self))
        #expect(throws: RetNetError.self) { try FastRetNet.Decoder(fast, from: other.emptyState()) }
        #expect(try FastRetNet.Decoder(fast).state == fast.emptyState())
    }
}
