import Foundation

/// The progress of a long run on standard error: on a terminal one line rewritten in place
/// (a carriage return before each update), otherwise a line every `every` steps, so that a log
/// file gets a few lines rather than thousands.
struct Progress {
    let total: Int
    let tokensPerStep: Int
    let every: Int
    let live = isatty(STDERR_FILENO) != 0
    private let start = Date()
    private var stepsTimed = 0
    private var lastLength = 0

    init(total: Int, tokensPerStep: Int, every: Int) {
        (self.total, self.tokensPerStep, self.every) = (total, tokensPerStep, max(1, every))
    }

    /// After step `step` (1-based count of steps taken) with its loss and the last evaluation.
    mutating func update(step: Int, loss: Float, validation: Float?) {
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
    mutating func interrupt() {
        if live && lastLength > 0 { FileHandle.standardError.write(Data("\n".utf8)) }
        lastLength = 0
    }

    static func fixed(_ value: Float) -> String {
        value.isFinite ? String(format: "%.4f", Double(value)) : "\(value)"
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
