import FastRetNet
import Matrices
import MultiScaleRetention
import RetNetModel
import TestSupport
import Testing

@Suite("FastRetNet: determinism and bad input")
struct FastRetNetBehaviourTests {
    @Test("1 and 2 threads give bit-identical logits and states, in every form and in decoding",
          arguments: [RetNetConfig.Variant.paper, .torchscale])
    func threadsAreBitIdentical(variant: RetNetConfig.Variant) throws {
        let reference = try model(wideConfig(variant), seed: 13).converted(to: Float.self)
        let one = try FastRetNet(reference, threads: 1), two = try one.with(threads: 2)
        #expect(two.threads == 2)
        let input = tokens(50, vocabulary: 130, seed: 14)
        for form in [RetentionForm.parallel, .chunkwise(chunkSize: 12), .recurrent] {
            let (a, b) = (try one.forward(input, form: form), try two.forward(input, form: form))
            #expect(a.logits.storage == b.logits.storage, "\(variant) \(form): logits")
            #expect(a.state == b.state, "\(variant) \(form): state")
        }
        var (s1, s2) = (try one.forward(input).state, try two.forward(input).state)
        for token in tokens(5, vocabulary: 130, seed: 15) {
            #expect(try one.step(token, state: &s1) == (try two.step(token, state: &s2)), "\(variant): step")
        }
        #expect(s1 == s2)
    }

    @Test("bad input throws the reference's errors, with the field named")
    func badInput() throws {
        let reference = try model(raggedConfig(.torchscale)).converted(to: Float.self)
        #expect(throws: RetNetError.argument(name: "threads", expected: "a thread count ≥ 1", got: "0")) {
            try FastRetNet(reference, threads: 0)
        }
        let fast = try FastRetNet(reference)
        #expect(throws: RetNetError.argument(name: "threads", expected: "a thread count ≥ 1", got: "-1")) {
            try fast.with(threads: -1)
        }
        #expect(throws: RetNetError.argument(name: "threads", expected: "a thread count ≤ 256", got: "257")) {
            try fast.with(threads: 257)
        }
        #expect(throws: RetNetError.argument(name: "threads", expected: "a thread count ≤ 256", got: "257")) {
            try FastRetNet(reference, threads: 257)
        }
        #expect(try fast.with(threads: 256).threads == 256)
        #expect(throws: RetNetError.token(position: 1, id: 37, vocabularySize: 37)) { try fast.forward([0, 37]) }
        #expect(throws: RetNetError.token(position: 0, id: -1, vocabularySize: 37)) { try fast.forward([-1]) }
        #expect(throws: RetNetError.argument(name: "chunk size", expected: "a chunk size B ≥ 1", got: "0")) {
            try fast.forward([1, 2], form: .chunkwise(chunkSize: 0))
        }
        let state = try fast.forward([1, 2, 3], form: .recurrent).state
        #expect(throws: RetNetError.self) { try fast.forward([4], form: .parallel, from: state) }
        let other = try FastRetNet(try model(wideConfig(.torchscale)).converted(to: Float.self))
        var foreign = other.emptyState()
        #expect(throws: RetNetError.self) { try fast.step(1, state: &foreign) }
        // An empty input is no work: no logits, the state unchanged.
        let empty = try fast.forward([], form: .chunkwise(chunkSize: 3), from: state)
        #expect(empty.logits.rows == 0 && empty.state == state)
    }
}
