import Foundation
import RetNetModel
import Testing
import Training

@Suite struct OptimizerTests {
    /// Two AdamW steps computed by hand in Double for one decaying matrix entry and one norm
    /// weight (which does not decay). Float rounds each of the ~10 operations of a step by at
    /// most 2⁻²⁴ relative, so after two steps the weights agree to a few 1e-7 relative: 1e-6.
    @Test func adamWMatchesTwoHandComputedSteps() throws {
        let (lr, b1, b2, eps, wd) = (0.01, 0.9, 0.99, 1e-8, 0.1)
        let adamW = try AdamW(beta1: b1, beta2: b2, eps: eps, weightDecay: wd)
        var parameters = [NamedTensor(name: "w", shape: [1, 2], values: [0.5, -2]),
                          NamedTensor(name: "norm.weight", shape: [2], values: [1, 1.5])]
        var state = AdamW.State(zeroFor: parameters)
        let g1: [[Double]] = [[0.2, -0.4], [0.1, 3]]
        let g2: [[Double]] = [[-0.1, -0.3], [0.05, 2]]
        for g in [g1, g2] {
            let gradients = zip(parameters, g).map { NamedTensor(name: $0.name, shape: $0.shape, values: $1.map(Float.init)) }
            try adamW.update(&parameters, gradients: gradients, learningRate: lr, state: &state)
        }
        #expect(state.step == 2)
        // By hand: m₁ = 0.1 g₁, v₁ = 0.01 g₁²; m₂ = 0.9 m₁ + 0.1 g₂, v₂ = 0.99 v₁ + 0.01 g₂².
        for (t, initial, decays) in [(0, [0.5, -2.0], true), (1, [1.0, 1.5], false)] {
            for j in 0..<2 {
                var w = initial[j], m = 0.0, v = 0.0
                for (step, g) in [g1[t][j], g2[t][j]].enumerated() {
                    let n = Double(step + 1)
                    if decays { w *= 1 - lr * wd }
                    m = b1 * m + (1 - b1) * g
                    v = b2 * v + (1 - b2) * g * g
                    w -= lr * (m / (1 - Double.pow(b1, n))) / ((v / (1 - Double.pow(b2, n))).squareRoot() + eps)
                }
                let got = Double(parameters[t].values[j])
                #expect(abs(got - w) <= 1e-6 * abs(w), "\(parameters[t].name)[\(j)]: \(got) vs \(w)")
                #expect(abs(Double(state.firstMoments[t].values[j]) - m) <= 1e-6 * abs(m))
                #expect(abs(Double(state.secondMoments[t].values[j]) - v) <= 1e-6 * abs(v))
            }
        }
        // The first step moves every weight by about η, whatever the gradient's size (m̂/√v̂ = ±1).
        #expect(abs(Double(parameters[1].values[1]) - 1.5) < 2.1 * lr)
    }

    @Test func onlyMatricesDecay() {
        #expect(AdamW.decays(shape: [65, 128]))
        #expect(!AdamW.decays(shape: [128]))
    }

    @Test func badOptimiserSettingsAreRefused() {
        #expect(throws: TrainingError.self) { try AdamW(beta1: 1) }
        #expect(throws: TrainingError.self) { try AdamW(beta2: -0.1) }
        #expect(throws: TrainingError.self) { try AdamW(eps: 0) }
        #expect(throws: TrainingError.self) { try AdamW(weightDecay: -1) }
        var parameters = [NamedTensor(name: "w", shape: [2], values: [1, 2])]
        var state = AdamW.State(zeroFor: parameters)
        #expect(throws: TrainingError.self) {
            try AdamW().update(&parameters, gradients: [NamedTensor(name: "v", shape: [2], values: [1, 2])], learningRate: 1e-3,
                               state: &state)
        }
        #expect(state.step == 0 && parameters[0].values == [1, 2])
    }

    @Test func scheduleEndpoints() throws {
        let s = try LearningRateSchedule(peak: 1e-3, minimum: 1e-4, warmup: 100, decaySteps: 2000)
        #expect(s.rate(at: 0) == 1e-3 / 101)
        #expect(s.rate(at: 99) == 1e-3 * 100 / 101)
        #expect(s.rate(at: 100) == 1e-3)  // the peak, exactly: cos 0 = 1
        #expect(abs(s.rate(at: 1050) - 5.5e-4) < 1e-15)  // halfway: the mean of peak and minimum
        #expect(s.rate(at: 2000) == 1e-4)  // the minimum: cos π = −1
        #expect(s.rate(at: 5000) == 1e-4)
        // Monotone: up during the warm-up, down after it.
        let other = try LearningRateSchedule(peak: 1e-2, minimum: 1e-3, warmup: 20, decaySteps: 250)
        #expect(other.rate(at: 20) == 1e-2 && other.rate(at: 250) == 1e-3)
        #expect((0..<100).allSatisfy { s.rate(at: $0) < s.rate(at: $0 + 1) })
        #expect((100..<2000).allSatisfy { s.rate(at: $0) >= s.rate(at: $0 + 1) })
    }

    @Test func badSchedulesAreRefused() {
        #expect(throws: TrainingError.self) { try LearningRateSchedule(peak: 0, minimum: 0, warmup: 0, decaySteps: 1) }
        #expect(throws: TrainingError.self) { try LearningRateSchedule(peak: -1, minimum: 0, warmup: 0, decaySteps: 1) }
        #expect(throws: TrainingError.self) { try LearningRateSchedule(peak: 1, minimum: 2, warmup: 0, decaySteps: 1) }
        #expect(throws: TrainingError.self) { try LearningRateSchedule(peak: 1, minimum: 0, warmup: 5, decaySteps: 5) }
        #expect(throws: TrainingError.self) { try LearningRateSchedule(peak: .nan, minimum: 0, warmup: 0, decaySteps: 5) }
    }

    @Test func clippingKeepsTheDirectionAndCapsTheNorm() {
        var gradients = [NamedTensor(name: "a", shape: [2], values: [3, 0]), NamedTensor(name: "b", shape: [1, 1], values: [4])]
        let norm = GradientClipping.clip(&gradients, maxNorm: 1)
        #expect(norm == 5)
        let clipped = GradientClipping.globalNorm(gradients)
        #expect(clipped <= 1 && clipped > 1 - 1e-6)
        #expect(abs(gradients[0].values[0] / gradients[1].values[0] - 0.75) < 1e-6)
        var small = [NamedTensor(name: "a", shape: [1], values: [0.5])]
        #expect(GradientClipping.clip(&small, maxNorm: 1) == 0.5)
        #expect(small[0].values == [0.5])  // under the cap: unchanged
        var off = [NamedTensor(name: "a", shape: [1], values: [50])]
        GradientClipping.clip(&off, maxNorm: 0)
        #expect(off[0].values == [50])  // 0 turns clipping off
    }

    @Test func namedParametersRoundTripAndMatchTheGradients() throws {
        for config in [TinyModel.config(),
                       RetNetConfig(variant: .paper, embedDim: 8, valueEmbedDim: 16, retentionHeads: 2, ffnEmbedDim: 12, layers: 2,
                                    vocabSize: 11)] {
            let model = try RetNet<Float>.random(config: config, seed: 3, normNoise: 0.1)
            let parameters = model.parameters
            #expect(try model.with(parameters: parameters) == model)
            let gradients = RetNetGradients(zeroFor: model).named
            #expect(parameters.map(\.name) == gradients.map(\.name))
            #expect(parameters.map(\.shape) == gradients.map(\.shape))
            // A changed weight lands where its name says.
            var changed = parameters
            changed[1].values[0] += 1
            let other = try model.with(parameters: changed)
            #expect(other.parameters[1].values[0] == parameters[1].values[0] + 1)
            #expect(other.parameters[0] == parameters[0])
            #expect(throws: RetNetError.self) { try model.with(parameters: Array(parameters.dropLast())) }
            #expect(throws: RetNetError.self) {
                try model.with(parameters: parameters + [NamedTensor(name: "extra", shape: [1], values: [0])])
            }
        }
    }
}
