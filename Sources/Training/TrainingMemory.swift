import Foundation

/// The sizes of a model that decide what training it costs in memory.
public struct TrainingShape: Sendable, Equatable {
    public var layers: Int
    public var width: Int
    public var valueWidth: Int
    public var ffnWidth: Int
    public var heads: Int
    public var vocabulary: Int

    public init(layers: Int, width: Int, valueWidth: Int, ffnWidth: Int, heads: Int, vocabulary: Int) {
        (self.layers, self.width, self.valueWidth, self.ffnWidth, self.heads, self.vocabulary) =
            (layers, width, valueWidth, ffnWidth, heads, vocabulary)
    }

    /// About the model's weights: the embedding and the head (2·vocabulary·E), and per block
    /// W_Q, W_K (E² each), W_V, W_G, W_O (E·V each), the FFN's up to three matrices (E·F each)
    /// and the norms. Nil when the count does not fit an Int.
    public var parameters: Int? {
        let e = width, v = valueWidth, f = ffnWidth
        let perBlock = Checked.sum([Checked.product([2, e, e]), Checked.product([3, e, v]), Checked.product([3, e, f]),
                                    Checked.product([4, e])])
        return Checked.sum([Checked.product([2, vocabulary, e]), perBlock.flatMap { Checked.product([layers, $0]) }])
    }
}

/// An estimate of what a training run holds in memory, made from the numbers alone before
/// anything is allocated, so that a run that cannot fit is refused with the estimate in the
/// message instead of being killed by the system (or aborting on a failed allocation) later.
///
/// It counts, in bytes:
/// - 24 per weight: the weights, their gradients and AdamW's two moments (Float each), and the
///   updated copy a step builds before it replaces the model;
/// - per sequence of a batch (all of a batch's sequences taken as alive at once, T = context + 1):
///   each block's activations, T·(8E + 4V + 3F) floats; the scores of every head, T² floats each
///   in the parallel form, or with chunks (blocks) of B tokens each chunk's state, ⌈T/B⌉ · d_k·d_v
///   floats per head (chunkwise retention; a tiled attention keeps less), and 2B² floats of scores;
///   the logits and their gradient, 2·T·vocabulary floats; and the tokens, 8·T.
///
/// It is an estimate of the order of the cost, not an account of every buffer: what it refuses
/// could not run on the machine; what it accepts may still be slow.
public enum TrainingMemory {
    /// The estimate in bytes, nil when it does not fit an Int (more than any machine has);
    /// `chunkSize` is the chunkwise or tiled form's B (nil: the parallel form).
    public static func estimate(shape: TrainingShape, parameters: Int? = nil, batchSize: Int, context: Int,
                                chunkSize: Int? = nil) -> Int? {
        guard let weights = parameters ?? shape.parameters else { return nil }
        let (t, overflow) = context.addingReportingOverflow(1)
        guard !overflow else { return nil }
        let perBlockToken = Checked.sum([Checked.product([8, shape.width]), Checked.product([4, shape.valueWidth]),
                                         Checked.product([3, shape.ffnWidth])])
        let perSequenceFloats = Checked.sum([
            perBlockToken.flatMap { Checked.product([shape.layers, t, $0]) },
            scoreFloats(shape: shape, tokens: t, chunkSize: chunkSize),
            Checked.product([2, t, shape.vocabulary]),
            Checked.product([2, t]),
        ])
        let activations = perSequenceFloats.flatMap { Checked.product([4, batchSize, $0]) }
        return Checked.sum([Checked.product([24, weights]), activations])
    }

    /// What the heads of every block keep of their scores for one sequence of `t` tokens: every
    /// head's T×T in the parallel form; with chunks of B, each chunk's d_k×d_v state per head and
    /// the 2B² scores of a chunk.
    static func scoreFloats(shape: TrainingShape, tokens t: Int, chunkSize: Int?) -> Int? {
        guard let b = chunkSize, b >= 1 else { return Checked.product([shape.layers, shape.heads, t, t]) }
        let chunks = t / b + (t % b == 0 ? 0 : 1)
        let heads = max(shape.heads, 1)
        let state = Checked.product([chunks, shape.width / heads, shape.valueWidth / heads, heads])
        return Checked.sum([state.flatMap { Checked.product([shape.layers, $0]) }, Checked.product([2, b, b])])
    }

    /// The memory the estimate is held against: the machine's.
    public static var available: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory) }

    /// Throws `.setting` naming the estimate and the limit when the estimate is over `limit`
    /// (or beyond counting).
    public static func check(shape: TrainingShape, parameters: Int? = nil, batchSize: Int, context: Int,
                             chunkSize: Int? = nil, limit: Int = available) throws(TrainingError)
    {
        let bytes = estimate(shape: shape, parameters: parameters, batchSize: batchSize, context: context, chunkSize: chunkSize)
        guard let bytes, bytes <= limit else {
            let amount = bytes.map { "an estimated \(format($0))" } ?? "more bytes than an Int counts"
            throw .setting(name: "memory", expected: "a run that fits in this machine's \(format(limit)) "
                           + "(weights, gradients and AdamW's moments at 24 bytes a weight, plus activations of a batch of "
                           + "\(batchSize) × \(context) tokens); lower the width, layers, batch size or context",
                           got: amount)
        }
    }

    /// Bytes in decimal units, three significant digits.
    static func format(_ bytes: Int) -> String {
        let units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"]
        var value = Double(bytes), unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        guard unit > 0 else { return "\(bytes) bytes" }
        return String(format: value < 10 ? "%.2f" : value < 100 ? "%.1f" : "%.0f", value) + " " + units[unit]
    }
}

/// Sums and products of sizes that report overflow as nil instead of trapping.
enum Checked {
    static func product(_ factors: [Int]) -> Int? {
        var result = 1
        for factor in factors {
            let (next, overflow) = result.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            result = next
        }
        return result
    }

    static func sum(_ terms: [Int?]) -> Int? {
        var result = 0
        for term in terms {
            guard let term else { return nil }
            let (next, overflow) = result.addingReportingOverflow(term)
            if overflow { return nil }
            result = next
        }
        return result
    }
}
