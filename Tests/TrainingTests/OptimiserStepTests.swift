import Foundation
import Matrices
import RetNetModel
import Testing
import Training

/// The optimiser step (global norm, then clipping and AdamW in one pass, `ParameterUpdate`) on
/// a model whose tensors span several of the kernel's 4,096-entry blocks, with entry counts that
/// are not multiples of 16 (the vector loop's tail): the same bits on 1, 2 and 3 threads, and
/// the numbers of the same step computed in Double.
@Suite struct OptimiserStepTests {
    /// E 40, V 80, FFN 120, 131 tokens, 2 layers: the embedding and output projection hold 5,240
    /// entries (two blocks, the second of 1,144 = 71 · 16 + 8), the FFN's 4,800 (two blocks), the
    /// rest one block each; the norms' weights are vectors (no decay).
    static func model() throws -> RetNet<Float> {
        try RetNet<Float>.random(config: RetNetConfig(variant: .torchscale, embedDim: 40, valueEmbedDim: 80, retentionHeads: 2,
                                                      ffnEmbedDim: 120, layers: 2, vocabSize: 131),
                                 seed: 5, normNoise: 0.1)
    }

    static func settings(clip: Double) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        (c.iterations, c.warmupIterations, c.learningRate, c.minLearningRate, c.gradientClip) = (10, 1, 1e-2, 1e-3, clip)
        return c
    }

    /// Gradients shaped as `parameters` for step `step`: each entry keeps its sign from step to
    /// step (so the first moment never cancels, and Float's error stays relative to it), its size
    /// in [0.05, 1) · `size[step]`.
    static func gradients(like parameters: [NamedTensor], step: Int, sizes: [Float]) -> [NamedTensor] {
        var signs = SplitMix64(seed: 11), sizesRNG = SplitMix64(seed: 100 + UInt64(step))
        return parameters.map { p in
            NamedTensor(name: p.name, shape: p.shape, values: p.values.indices.map { _ in
                let sign: Float = signs.next() % 2 == 0 ? 1 : -1
                return sign * sizes[step] * Float(0.05 + 0.95 * sizesRNG.nextUnit())
            })
        }
    }

    /// Three steps: the norm ≈ 140, 28, 210 (some 55,000 entries of root-mean-square 0.59 times
    /// these sizes) against a clip of 50, so the first and last are clipped and the second is not.
    static let sizes: [Float] = [1, 0.2, 1.5]

    /// Three steps of `OptimiserStep` on `threads` threads: the records, weights and moments.
    static func run(threads: Int) throws -> (records: [StepRecord], parameters: [NamedTensor], state: AdamW.State) {
        var model = try model()
        var parameters = model.parameters
        var state = AdamW.State(zeroFor: parameters)
        let stepper = try OptimiserStep(settings(clip: 50), threads: threads)
        var records: [StepRecord] = []
        for step in 0..<sizes.count {
            records.append(try stepper.apply(loss: 1, gradients: gradients(like: parameters, step: step, sizes: sizes), index: step,
                                             model: &model, parameters: &parameters, state: &state))
        }
        #expect(model.parameters == parameters, "the model holds the new weights")
        return (records, parameters, state)
    }

    @Test func theSameBitsOnOneTwoAndThreeThreads() throws {
        let one = try Self.run(threads: 1)
        for threads in [2, 3] {
            let other = try Self.run(threads: threads)
            #expect(other.records.map(\.gradientNorm.bitPattern) == one.records.map(\.gradientNorm.bitPattern), "\(threads) threads")
            for (a, b) in zip(one.parameters + one.state.firstMoments + one.state.secondMoments,
                              other.parameters + other.state.firstMoments + other.state.secondMoments) {
                #expect(a.values.map(\.bitPattern) == b.values.map(\.bitPattern), "\(a.name) on \(threads) threads")
            }
        }
        // Not a vacuous comparison: every step moved every weight.
        let initial = try Self.model().parameters
        #expect(zip(initial, one.parameters).allSatisfy { zip($0.values, $1.values).allSatisfy { $0 != $1 } })
    }

    /// The same three steps in Double, from the same Float weights and gradients: norm, clipping
    /// factor, moments and weights.
    ///
    /// The bounds, with u = 2⁻²⁴. The norm sums exact squares in Double, as the reference does:
    /// each sum is within (n − 1) · 2⁻⁵³ of Σg² relative (n entries), so the norms are within
    /// n · 2⁻⁵³ of each other, relative. In Float the constants are rounded: 1 − Float(0.9) is 4u
    /// from 0.1 and 1 − Float(0.99) 16u from 0.01, relative; the clipping factor, the clipped
    /// gradient and every product and sum add u each. With no cancellation (the signs stay), m
    /// after 3 steps is within 12u of its Double (4u + 3 roundings at the first step, 1–2 more
    /// per step after: 16u), v within 26u (16u + 4u for ĝ² + 2 roundings, 1–2 more per step:
    /// 32u). The step η m̂ / (√v̂ + ε) then is within about 32u: m's 12u, √v's 13u + 1, the bias
    /// corrections and ε 3u, the product and the quotient 2u. A weight is rounded twice per step,
    /// and 1 − ηλ once: 3u of |w|. The errors of the steps add, so
    /// |w − w_Double| ≤ 64u · (Σ|w| + Σ|step|) over the steps, twice the estimate.
    @Test func agreesWithADoubleReference() throws {
        let u = Double(Float.ulpOfOne) / 2
        let (maxNorm, settings) = (50.0, Self.settings(clip: 50))
        let got = try Self.run(threads: 2)
        let schedule = try settings.schedule()
        let initial = try Self.model().parameters
        var w = initial.map { $0.values.map(Double.init) }
        var m = w.map { [Double](repeating: 0, count: $0.count) }, v = m
        var stepSizes = w.map { [Double](repeating: 0, count: $0.count) }, weightSizes = stepSizes
        var clipped: [Bool] = []
        for step in 0..<Self.sizes.count {
            let g = Self.gradients(like: initial, step: step, sizes: Self.sizes)
            let n = g.reduce(0) { $0 + $1.values.count }
            let norm = g.reduce(0.0) { $0 + $1.values.reduce(0.0) { $0 + Double($1) * Double($1) } }.squareRoot()
            #expect(abs(got.records[step].gradientNorm - norm) <= Double(n) * 0x1p-53 * norm,
                    "step \(step): norm \(got.records[step].gradientNorm) vs \(norm)")
            let factor = norm > maxNorm ? maxNorm / (norm + 1e-6) : 1
            clipped.append(factor < 1)
            let rate = schedule.rate(at: step), t = Double(step + 1)
            for i in w.indices {
                let decays = initial[i].shape.count >= 2
                for j in w[i].indices {
                    let gj = Double(g[i].values[j]) * factor
                    weightSizes[i][j] += abs(w[i][j])
                    if decays { w[i][j] *= 1 - rate * settings.weightDecay }
                    m[i][j] = settings.beta1 * m[i][j] + (1 - settings.beta1) * gj
                    v[i][j] = settings.beta2 * v[i][j] + (1 - settings.beta2) * gj * gj
                    let change = rate * (m[i][j] / (1 - Double.pow(settings.beta1, t)))
                        / ((v[i][j] / (1 - Double.pow(settings.beta2, t))).squareRoot() + 1e-8)
                    stepSizes[i][j] += abs(change)
                    w[i][j] -= change
                }
            }
        }
        #expect(clipped == [true, false, true], "the steps exercise both sides of the clip: \(got.records.map(\.gradientNorm))")
        var worst = 0.0
        for i in w.indices {
            for j in w[i].indices {
                let bound = 64 * u * (weightSizes[i][j] + stepSizes[i][j])
                let error = abs(Double(got.parameters[i].values[j]) - w[i][j])
                worst = max(worst, error / bound)
                if error > bound { Issue.record("\(initial[i].name)[\(j)]: \(got.parameters[i].values[j]) vs \(w[i][j]), bound \(bound)") }
                #expect(abs(Double(got.state.firstMoments[i].values[j]) - m[i][j]) <= 16 * u * abs(m[i][j]))
                #expect(abs(Double(got.state.secondMoments[i].values[j]) - v[i][j]) <= 32 * u * v[i][j])
            }
        }
        #expect(worst > 0, "Float and Double differ somewhere: the comparison is not of one code path with itself")
    }

    /// With zero gradients the moments stay 0 and Adam's step is 0 / (0 + ε) = 0: what is left
    /// is the decay, w · (1 − ηλ) in Float for every entry of a matrix (several blocks, a tail of
    /// 8), and nothing for a vector.
    @Test func weightDecayShrinksMatricesAndLeavesVectors() throws {
        var parameters = [NamedTensor(name: "matrix", shape: [131, 40], values: (0..<5240).map { Float($0 % 97) / 13 - 3 }),
                          NamedTensor(name: "vector", shape: [4100], values: (0..<4100).map { Float($0 % 89) / 7 - 5 })]
        let before = parameters
        var state = AdamW.State(zeroFor: parameters)
        let zero = parameters.map { NamedTensor(name: $0.name, shape: $0.shape, values: [Float](repeating: 0, count: $0.values.count)) }
        let (rate, lambda) = (0.01, 0.1)
        try AdamW(weightDecay: lambda).update(&parameters, gradients: zero, learningRate: rate, state: &state, threads: 2)
        let shrink = Float(1 - rate * lambda)
        #expect(parameters[0].values == before[0].values.map { $0 * shrink })
        #expect(parameters[0].values != before[0].values)
        #expect(parameters[1].values == before[1].values)
    }

    /// The update nests one buffer access per tensor: a model of thousands of tensors still fits
    /// a secondary thread's 512 KiB stack.
    @Test func manyTensorsOnASmallStack() throws {
        let parameters = (0..<3000).map { NamedTensor(name: "t\($0)", shape: [2, 3], values: [1, 2, 3, 4, 5, 6]) }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: [NamedTensor] = []
        let thread = Thread {
            var p = parameters
            var state = AdamW.State(zeroFor: p)
            try? AdamW().update(&p, gradients: p, learningRate: 1e-3, state: &state, threads: 2)
            result = p
            done.signal()
        }
        thread.stackSize = 512 * 1024
        thread.start()
        done.wait()
        #expect(result.count == 3000 && result.allSatisfy { $0.values[0] < 1 })
    }
}
