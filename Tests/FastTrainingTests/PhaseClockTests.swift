import Dispatch
import FastTraining
import Matrices
import RetNetModel
import Testing
import Transformer

/// The phase clock times the step without changing it: the same bits as a call without a clock,
/// every phase timed, and the phases' sum no longer than the call itself.
@Suite("PhaseClock")
struct PhaseClockTests {
    @Test("a clocked step gives the same bits, times every phase, and its phases add up to at most its wall time")
    func clockedStepIsTheSameStep() throws {
        let config = wideConfig(.torchscale)
        let sequences = batch(2, length: 12, vocabulary: config.vocabSize, seed: 3)
        let model = try floatModel(config, seed: 5)
        let transformer = try floatTransformer(config, seed: 5)
        let fast = try FastGradients(threads: 2)
        let fastTransformer = try FastTransformerGradients(threads: 2)

        let plain = try fast.lossAndGradients(model, sequences: sequences)
        let clock = PhaseClock()
        let start = DispatchTime.now().uptimeNanoseconds
        let clocked = try fast.lossAndGradients(model, sequences: sequences, clock: clock)
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        #expect(clocked.loss.bitPattern == plain.loss.bitPattern)
        #expect(zip(clocked.gradients.named, plain.gradients.named).allSatisfy { $0.values.map(\.bitPattern) == $1.values.map(\.bitPattern) })
        for phase in PhaseClock.Phase.allCases {
            #expect((clock.seconds[phase] ?? 0) > 0, "\(phase.rawValue) was not timed")
        }
        let total = clock.seconds.values.reduce(0, +)
        #expect(total <= wall, "phases sum to \(total) s, the call took \(wall) s")

        clock.reset()
        #expect(clock.seconds.isEmpty)
        let transformerPlain = try fastTransformer.lossAndGradients(transformer, sequences: sequences)
        let transformerClocked = try fastTransformer.lossAndGradients(transformer, sequences: sequences, clock: clock)
        #expect(transformerClocked.loss.bitPattern == transformerPlain.loss.bitPattern)
        #expect(PhaseClock.Phase.allCases.allSatisfy { (clock.seconds[$0] ?? 0) > 0 })
    }
}
