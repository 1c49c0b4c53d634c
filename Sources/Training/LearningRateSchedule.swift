import Matrices

/// The learning rate at each step, as nanoGPT's `get_lr`: a linear warm-up to the peak over the
/// first `warmup` steps, then a cosine decay to `minimum` at step `decaySteps`, and `minimum`
/// after it:
///
///     it < warmup:          η(it) = peak · (it + 1) / (warmup + 1)
///     warmup ≤ it ≤ decay:  η(it) = min + ½ (1 + cos(π r)) (peak − min),  r = (it − warmup)/(decay − warmup)
///     it > decay:           η(it) = min
///
/// η(warmup) = peak and η(decay) = min exactly (cos 0 = 1, and cos π rounds to −1 in Double).
public struct LearningRateSchedule: Sendable, Equatable, Codable {
    public let peak: Double
    public let minimum: Double
    public let warmup: Int
    public let decaySteps: Int

    /// Throws `.setting` unless 0 < peak, 0 ≤ minimum ≤ peak, 0 ≤ warmup < decaySteps (all finite).
    public init(peak: Double, minimum: Double, warmup: Int, decaySteps: Int) throws(TrainingError) {
        guard peak > 0 && peak.isFinite else { throw .setting(name: "learning rate", expected: "a finite rate > 0", got: "\(peak)") }
        guard minimum >= 0 && minimum <= peak else {
            throw .setting(name: "minimum learning rate", expected: "a rate in [0, \(peak)] (at most the peak)", got: "\(minimum)")
        }
        guard warmup >= 0 else { throw .setting(name: "warm-up", expected: "at least 0 steps", got: "\(warmup)") }
        guard decaySteps > warmup else {
            throw .setting(name: "decay steps", expected: "more than the \(warmup) warm-up steps", got: "\(decaySteps)")
        }
        (self.peak, self.minimum, self.warmup, self.decaySteps) = (peak, minimum, warmup, decaySteps)
    }

    /// η at step `it` (0-based).
    public func rate(at it: Int) -> Double {
        if it < warmup { return peak * Double(it + 1) / Double(warmup + 1) }
        if it > decaySteps { return minimum }
        let ratio = Double(it - warmup) / Double(decaySteps - warmup)
        let coefficient = 0.5 * (1 + Double.cos(Double.pi * ratio))
        // min + c (peak − min), written so that c = 1 gives the peak and c = 0 the minimum exactly.
        return coefficient * peak + (1 - coefficient) * minimum
    }
}
