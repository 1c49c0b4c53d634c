import Foundation

/// Where the time of a training step goes, by the code's own stopwatch: the seconds spent in each
/// phase of `lossAndGradients`, summed over the calls made with this clock (forward and backward
/// of a phase together). Pass one to `FastGradients.lossAndGradients(_:sequences:clock:)` or the
/// Transformer's; without one, nothing is timed.
///
/// The clock is read and written by the calling thread only: every phase is a whole region, its
/// threads joined before the next starts, so the times add up to the call's wall time (less what
/// lies between phases: buffer look-ups and the gradients' assembly).
public final class PhaseClock: @unchecked Sendable {
    /// The phases of a step, in the order they first run.
    public enum Phase: String, CaseIterable, Sendable {
        /// The token embedding's rows, forward, and its scatter-add of gradients.
        case embedding
        /// Each block's two norms (RMSNorm or LayerNorm rows), forward and backward, and the residual adds of the backward.
        case norms
        /// The mixer's projections: the stacked W_Q, W_K, W_V (and W_G) product and W_O's, their input and weight gradients.
        case projections
        /// The heads: gather and rotate, scores, their map (decay, softmax, …), outputs, gate and head norm, and their backward.
        case heads
        /// The FFN's two (or, gated, three) products, forward, and their input and weight gradients.
        case feedForwardProducts = "ffn products"
        /// The FFN's activation (and gate) rows and their derivatives.
        case activations
        /// The final norm, the output projection to logits, the softmax cross-entropy and their backward.
        case loss
    }

    /// Seconds per phase since the clock was made or last reset.
    public private(set) var seconds: [Phase: Double] = [:]

    public init() {}

    /// Forgets every time.
    public func reset() { seconds = [:] }

    /// Runs `body`, adding its wall time to `phase`.
    func time<Result>(_ phase: Phase, _ body: () -> Result) -> Result {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        seconds[phase, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return result
    }
}

extension Optional where Wrapped == PhaseClock {
    /// `body`, timed under `phase` when there is a clock, else just run.
    func time<Result>(_ phase: PhaseClock.Phase, _ body: () -> Result) -> Result {
        guard let clock = self else { return body() }
        return clock.time(phase, body)
    }
}
