import Foundation

/// The progress of a long run on standard error: on a terminal one line rewritten in place
/// (a carriage return before each update), otherwise a line every `every` steps, so that a log
/// file gets a few lines rather than thousands. A line holds the step, its loss, the latest
/// validation loss, tokens per second and the time left.
public struct TrainingProgress {
    public let total: Int
    public let tokensPerStep: Int
    public let every: Int
    /// Whether the line is rewritten in place (standard error is a terminal).
    public let live: Bool
    private let start = Date()
    private var stepsTimed = 0
    private var lastLength = 0

    /// Progress towards `total` steps of `tokensPerStep` tokens each; off a terminal, a line
    /// every `every` steps and after the last.
    public init(total: Int, tokensPerStep: Int, every: Int, live: Bool = isatty(STDERR_FILENO) != 0) {
        (self.total, self.tokensPerStep, self.every, self.live) = (total, tokensPerStep, max(1, every), live)
    }

    /// After step `step` (1-based count of steps taken) with its loss and the last evaluation.
    public mutating func update(step: Int, loss: Float, validation: Float?) {
        stepsTimed += 1
        let elapsed = Date().timeIntervalSince(start)
        let perStep = elapsed / Double(stepsTimed)
        let rate = Double(stepsTimed * tokensPerStep) / max(elapsed, 1e-9)
        let remaining = Double(total - step) * perStep
        var line = "step \(step)/\(total)  loss \(Self.fixed(loss))"
        if let validation { line += "  val \(Self.fixed(validation))" }
        line += "  \(Int(rate.rounded())) tok/s  ETA \(Self.duration(remaining))"
        if live {
            let padding = String(repeating: " ", count: max(0, lastLength - line.count))
            FileHandle.standardError.write(Data("\r\(line)\(padding)".utf8))
            lastLength = line.count
        } else if step % every == 0 || step == total {
            FileHandle.standardError.write(Data("\(line)\n".utf8))
        }
    }

    /// Ends the live line so that what follows starts on a line of its own.
    public mutating func interrupt() {
        if live && lastLength > 0 { FileHandle.standardError.write(Data("\n".utf8)) }
        lastLength = 0
    }

    /// A loss with 4 decimals ("nan" and "inf" as Swift prints them).
    public static func fixed(_ value: Float) -> String {
        value.isFinite ? String(format: "%.4f", Double(value)) : "\(value)"
    }

    /// Seconds as "42s", "3m7s" or "1h5m" ("?" when not finite).
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}

extension Trainer {
    /// `run`, reporting as it goes: after every step a `TrainingProgress` line on standard error
    /// (the step, its loss, the latest validation loss, tokens/s, the time left); after each
    /// evaluation, `evaluated` (where a checkpoint is written), then the evaluation on standard
    /// output ("step 250: train loss 2.0413, val loss 2.0871"). The progress line of a step that
    /// is evaluated shows that step's validation loss. A thrown error first ends the live line,
    /// so that its message starts a line of its own.
    public mutating func runReporting(stopAfter: Int? = nil,
                                      evaluated: (Self, Evaluation) throws(TrainingError) -> Void = { _, _ in })
        throws(TrainingError)
    {
        let c = configuration
        var progress = TrainingProgress(total: c.iterations, tokensPerStep: c.batchSize * c.context, every: c.evalInterval)
        var validation = history.last?.validationLoss
        defer { progress.interrupt() }
        try run(stopAfter: stopAfter, stepped: { record in
            progress.update(step: record.step + 1, loss: record.loss, validation: validation)
        }, evaluated: { trainer, evaluation throws(TrainingError) in
            validation = evaluation.validationLoss
            progress.interrupt()
            try evaluated(trainer, evaluation)
            print("step \(evaluation.step): train loss \(TrainingProgress.fixed(evaluation.trainLoss)), "
                  + "val loss \(TrainingProgress.fixed(evaluation.validationLoss))")
        })
    }
}
