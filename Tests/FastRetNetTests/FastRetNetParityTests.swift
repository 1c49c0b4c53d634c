import FastRetNet
import Foundation
import Layers
import Matrices
import MultiScaleRetention
import RetNetModel
import TestSupport
import Testing
import TorchscaleCheckpoint

/// The bound, for logits relative to their largest entry: the reference `RetNet<Float>` and this
/// model round the same sums in different orders (blocked GEMM, SIMD retention kernels), so each
/// is a few 2⁻²⁴ ≈ 6e-8 per operation from the exact result; a logit passes through L blocks
/// of products of tens to hundreds of terms, two norms that divide by a root mean square and an
/// FFN, which amplify by small factors: a few 1e-7 is expected, and `ModelParityTests` bounds
/// Float against Double by 1e-5. Both models are within that of Double, hence 2e-5 between them,
/// which any wrong term, head, position or weight exceeds by orders of magnitude.
let floatBound = 2e-5

@Suite("FastRetNet equals the reference RetNet<Float>")
struct FastRetNetParityTests {
    static let variants: [RetNetConfig.Variant] = [.paper, .torchscale]
    static let forms: [RetentionForm] = [.parallel, .recurrent, .chunkwise(chunkSize: 1), .chunkwise(chunkSize: 5),
                                         .chunkwise(chunkSize: 100)]

    @Test("random ragged models, every form: logits and states", arguments: variants)
    func randomModels(variant: RetNetConfig.Variant) throws {
        let double = try model(raggedConfig(variant))
        let reference = try double.converted(to: Float.self)
        let fast = try FastRetNet(reference)
        let input = tokens(23, vocabulary: 37, seed: 4)
        let exact = try double.logits(input).converted(to: Float.self)
        for form in Self.forms {
            let expected = try reference.forward(input, form: form)
            let got = try fast.forward(input, form: form)
            expectClose(got.logits, expected.logits, relative: floatBound, "\(variant) \(form): logits vs RetNet<Float>")
            expectClose(got.logits, exact, relative: floatBound, "\(variant) \(form): logits vs RetNet<Double>")
            #expect(got.state.position == input.count)
            for (l, layer) in got.state.reference.layers.enumerated() {
                for (h, head) in layer.heads.enumerated() {
                    expectClose(head.s, expected.state.layers[l].heads[h].s, relative: floatBound,
                                "\(variant) \(form): state [\(l)][\(h)]")
                }
            }
        }
    }

    @Test("wide models (every threaded path), 1 and 2 threads", arguments: variants)
    func wideModels(variant: RetNetConfig.Variant) throws {
        let reference = try model(wideConfig(variant), seed: 7).converted(to: Float.self)
        let input = tokens(40, vocabulary: 130, seed: 8)
        for threads in [1, 2] {
            let fast = try FastRetNet(reference, threads: threads)
            for form in [RetentionForm.parallel, .chunkwise(chunkSize: 16), .recurrent] {
                expectClose(try fast.forward(input, form: form).logits, try reference.logits(input, form: form),
                            relative: floatBound, "\(variant) \(form), \(threads) threads")
            }
        }
    }

    @Test("hand-off: a prefill's state, then steps (or a chunkwise continuation), equal the parallel logits",
          arguments: variants)
    func handOff(variant: RetNetConfig.Variant) throws {
        let reference = try model(wideConfig(variant), seed: 9).converted(to: Float.self)
        let fast = try FastRetNet(reference, threads: 2)
        let input = tokens(30, vocabulary: 130, seed: 10)
        let whole = try reference.logits(input)
        for prefill in [RetentionForm.parallel, .chunkwise(chunkSize: 8), .recurrent] {
            var (first, state) = try fast.forward(Array(input[..<19]), form: prefill)
            var rows = first.storage
            for token in input[19...] { rows += try fast.step(token, state: &state) }
            expectClose(Matrix(rows: 30, columns: 130, entries: rows), whole, relative: floatBound, "\(variant): \(prefill) → steps")
            #expect(state.position == 30)
            // The state hands over to the reference model, and from it.
            (first, state) = try fast.forward(Array(input[..<19]), form: prefill)
            let continued = try reference.forward(Array(input[19...]), form: .chunkwise(chunkSize: 4), from: state.reference)
            expectClose(continued.logits, whole.rowRange(19..<30), relative: floatBound, "\(variant): \(prefill) → reference")
            let back = try fast.forward(Array(input[19...]), form: .chunkwise(chunkSize: 4),
                                        from: FastRetNetState(try reference.prefill(Array(input[..<19]), form: .parallel).state))
            expectClose(back.logits, whole.rowRange(19..<30), relative: floatBound, "\(variant): reference → \(prefill)")
        }
    }

    @Test("torchscale fixtures: every form equals the reference model", arguments: Fixtures.names)
    func fixtures(name: String) throws {
        let reference = try TorchscaleCheckpoint(directory: Fixtures.directory(name)).model(Float.self)
        let fast = try FastRetNet(reference, threads: 2)
        let input = tokens(21, vocabulary: reference.config.vocabSize, seed: 11)
        for form in [RetentionForm.parallel, .recurrent, .chunkwise(chunkSize: 4)] {
            expectClose(try fast.forward(input, form: form).logits, try reference.logits(input, form: form),
                        relative: floatBound, "\(name) \(form)")
        }
    }
}
