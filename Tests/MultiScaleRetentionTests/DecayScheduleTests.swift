import Layers
import Matrices
import TestSupport
import MultiScaleRetention
import Testing

@Suite("γ schedules")
struct DecayScheduleTests {
    @Test("Eq. 8: γ_i = 1 − 2^{−5−i}, exactly")
    func eq8Values() {
        let expected = [0.96875, 0.984375, 0.9921875, 0.99609375, 0.998046875, 0.9990234375, 0.99951171875, 0.999755859375]
        #expect(DecaySchedule.eq8.gammas(heads: 8) == expected)
        #expect(DecaySchedule.eq8.gammas(heads: 0) == [])
    }

    @Test("experiments: memories 32·16^{i/(h−1)} from 32 to 512, log-evenly spaced")
    func linspaceValues() {
        for h in [1, 2, 4, 7] {
            let gammas = DecaySchedule.linspace.gammas(heads: h)
            #expect(gammas.count == h)
            for (i, gamma) in gammas.enumerated() {
                let memory = 1 / (1 - gamma)
                let expected = h == 1 ? 32 : 32 * Double.pow(16, Double(i) / Double(h - 1))
                #expect(abs(memory - expected) <= 1e-12 * expected, "h = \(h), head \(i): memory \(memory), expected \(expected)")
            }
        }
        #expect(DecaySchedule.linspace.gammas(heads: 3).first == 1 - 1.0 / 32)
        #expect(DecaySchedule.linspace.gammas(heads: 3).last == 1 - 1.0 / 512)
    }

    @Test("torchscale's float32 buffer: log(1 − 2^{−5−i}) in float32; γ = 1 exactly from head 20")
    func float32Buffer() {
        let logs = DecaySchedule.eq8.float32LogGammas(heads: 24)
        #expect(logs[0] == Float.log(0.96875))
        #expect(logs[19] < 0 && logs[19] == Float.log(1 - 0x1p-24))
        #expect(logs[20...].allSatisfy { $0 == 0 }, "heads 20… should have log γ = 0 in float32: \(logs[20...])")
        let exact = DecaySchedule.eq8.gammas(heads: 12)
        for (i, gamma) in DecaySchedule.eq8.float32Gammas(heads: 12).enumerated() {
            // γ rounded to float32 (≤ 2^-24 relative), then log rounded (≤ 2^-24 of |log γ| < 0.04).
            #expect(abs(gamma - exact[i]) <= 0x1p-24 * 1.05, "head \(i): \(gamma) vs \(exact[i])")
        }
    }
}
