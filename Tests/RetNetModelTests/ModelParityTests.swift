import Layers
import Matrices
import TestSupport
import MultiScaleRetention
import RetNetModel
import Testing

@Suite("Whole-model parity across forms")
struct ModelParityTests {
    static let variants: [RetNetConfig.Variant] = [.paper, .torchscale]

    @Test("Double, ε = 0: every layer's hidden state and the logits agree across forms (1e-10)", arguments: variants)
    func doubleParity(variant: RetNetConfig.Variant) throws {
        // Each head's forms agree to ~1e-16; two blocks of norms, FFNs and residuals amplify that by
        // small factors: 1e-10 leaves orders of magnitude and still catches any real mistake.
        let model = try tinyModel(variant)
        let input = tokens(13, vocabulary: tinyVocabulary, seed: 2)
        let parallel = try model.forward(input)
        for form in [RetentionForm.recurrent, .chunkwise(chunkSize: 1), .chunkwise(chunkSize: 4), .chunkwise(chunkSize: 20)] {
            let other = try model.forward(input, form: form)
            for (layer, (got, expected)) in zip(other.hidden, parallel.hidden).enumerated() {
                expectClose(got, expected, relative: 1e-10, "\(variant) \(form): hidden state X^\(layer)")
            }
            expectClose(other.logits, parallel.logits, relative: 1e-10, "\(variant) \(form): logits")
            for (l, layer) in other.state.layers.enumerated() {
                for (h, head) in layer.heads.enumerated() {
                    expectClose(head.s, parallel.state.layers[l].heads[h].s, relative: 1e-10, "\(variant) \(form): state [\(l)][\(h)]")
                }
            }
        }
        var state = model.emptyState()
        var rows: [Matrix<Double>] = []
        for token in input {
            let (logits, next) = try model.step(token, state: state)
            rows.append(logits)
            state = next
        }
        expectClose(stack(rows), parallel.logits, relative: 1e-10, "\(variant): token by token")
        #expect(state.position == input.count)
    }

    @Test("Float with the real ε = 1e-6: forms agree with each other and with Double within 1e-5", arguments: variants)
    func floatParity(variant: RetNetConfig.Variant) throws {
        // Weights and inputs round by 2^-24 ≈ 6e-8; each output entry sums tens of products per layer and
        // the norms divide by a root mean square: a few 1e-7 relative is expected; 1e-5 leaves a margin
        // of more than ten for unlucky cancellation, and still fails for any wrong term.
        let double = try tinyModel(variant, eps: 1e-6)
        let float = try double.converted(to: Float.self)
        let input = tokens(12, vocabulary: tinyVocabulary, seed: 3)
        let reference = try double.logits(input)
        let floatParallel = try float.logits(input)
        expectClose(floatParallel.converted(to: Double.self), reference, relative: 1e-5, "\(variant): Float vs Double")
        for form in [RetentionForm.recurrent, .chunkwise(chunkSize: 5)] {
            expectClose(try float.logits(input, form: form), floatParallel, relative: 1e-5, "\(variant) Float \(form)")
        }
        // ε matters in these norms (it is not 0), and our forms still agree in Double.
        expectClose(try double.logits(input, form: .chunkwise(chunkSize: 5)), reference, relative: 1e-10, "\(variant) Double ε = 1e-6")
    }

    @Test("hand-off: prefill (parallel, chunkwise, recurrent), then step or chunkwise = parallel", arguments: variants)
    func handOff(variant: RetNetConfig.Variant) throws {
        let model = try tinyModel(variant, eps: 1e-6)
        let input = tokens(14, vocabulary: tinyVocabulary, seed: 4)
        let whole = try model.forward(input)
        for split in [1, 6, 13] {
            for prefill in [RetentionForm.parallel, .chunkwise(chunkSize: 4), .recurrent] {
                let first = try model.prefill(Array(input[0..<split]), form: prefill)
                #expect(first.state.position == split)
                var state = first.state
                var rows = [first.logits]
                for token in input[split...] {
                    let (logits, next) = try model.step(token, state: state)
                    rows.append(logits)
                    state = next
                }
                expectClose(stack(rows), whole.logits, relative: 1e-10, "\(variant): \(prefill) prefill of \(split), then steps")
                let chunked = try model.prefill(Array(input[split...]), form: .chunkwise(chunkSize: 3), from: first.state)
                expectClose(first.logits.stacked(above: chunked.logits), whole.logits, relative: 1e-10,
                            "\(variant): \(prefill) prefill of \(split), then chunkwise")
                #expect(chunked.state.position == 14)
            }
        }
    }

    @Test("sampling: softmax(ℓ/T) probabilities, argmax ties, and the draw follows the probabilities")
    func sampler() {
        let logits = Matrix<Double>([[1, 3, 3, 0]])
        #expect(Sampler.argmax(logits) == 1)
        let p = Sampler.probabilities(logits, temperature: 2)
        let e = [Double.exp(-1), 1, 1, Double.exp(-1.5)], total = e.reduce(0, +)
        for i in 0..<4 { #expect(abs(p[i] - e[i] / total) < 1e-15) }
        var rng = SplitMix64(seed: 1)
        var counts = [0, 0, 0, 0]
        for _ in 0..<20_000 { counts[Sampler.draw(logits, temperature: 2, using: &rng)] += 1 }
        for i in 0..<4 {
            // Binomial standard deviation √(N p (1 − p)) ≤ 71: allow 5 of them.
            #expect(abs(Double(counts[i]) - 20_000 * p[i]) < 5 * (20_000 * p[i] * (1 - p[i])).squareRoot(),
                    "token \(i): \(counts[i]) draws, expected \(20_000 * p[i])")
        }
    }
}
