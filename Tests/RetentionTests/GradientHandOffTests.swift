import Matrices
import TestSupport
import Testing

import Retention

/// The backward pass runs through a state hand-off as the forward pass did: prefill rows
/// 0..<split in one form, continue in another from the state it hands over, then differentiate
/// the continuation first (its `dState` is the gradient for the handed-over state) and pass
/// that to the prefill's backward as its final-state gradient. The joined gradients are those
/// of one backward pass over the whole sequence.
@Suite("Gradients through a state hand-off")
struct GradientHandOffTests {
    static let length = 37
    /// Split points: none, one token, on and off a chunk boundary, all but one, all.
    static let splits = [0, 1, 12, 16, 36, 37]
    static let gammas = [1, 0.9, 0.5]

    /// Which form prefills and which continues (with their chunk sizes).
    enum Order: String, CaseIterable, CustomTestStringConvertible {
        case chunkwiseThenRecurrent = "chunkwise (B = 4) → recurrent"
        case recurrentThenChunkwise = "recurrent → chunkwise (B = 5)"
        case chunkwiseThenChunkwise = "chunkwise (B = 3) → chunkwise (B = 64)"

        var testDescription: String { rawValue }

        /// The prefill's form and B, then the continuation's.
        var forms: (prefill: (GradientForm, Int), rest: (GradientForm, Int)) {
            switch self {
            case .chunkwiseThenRecurrent: ((.chunkwise, 4), (.recurrent, 1))
            case .recurrentThenChunkwise: ((.recurrent, 1), (.chunkwise, 5))
            case .chunkwiseThenChunkwise: ((.chunkwise, 3), (.chunkwise, 64))
            }
        }
    }

    /// Rows `range` of a problem, starting from `start` with final-state gradient `dS`.
    static func part(_ p: GradientProblem<Double>, _ range: Range<Int>, start: Matrix<Double>, dS: Matrix<Double>)
        -> GradientProblem<Double>
    {
        GradientProblem(inputs: p.inputs.rows(range), dO: p.dO.rowRange(range), start: start, dS: dS)
    }

    /// The state the prefill hands over: its forward pass over rows 0..<split from S₋₁.
    static func handedOver(_ p: GradientProblem<Double>, split: Int, form: GradientForm, chunkSize: Int,
                           decay: Decay<Double>) throws -> Matrix<Double>
    {
        let prefix = p.inputs.rows(0..<split)
        switch form {
        case .chunkwise:
            return try ChunkwiseRetention.outputs(q: prefix.q, k: prefix.k, v: prefix.v, decay: decay,
                                                  chunkSize: chunkSize, from: p.state).state.s
        default:
            return try RecurrentRetention.outputs(q: prefix.q, k: prefix.k, v: prefix.v, decay: decay,
                                                  from: p.state).state.s
        }
    }

    @Test("prefill → continue, differentiated backwards = one backward pass (Double, 1e-12)",
          arguments: Order.allCases)
    func handOff(order: Order) throws {
        let p = GradientProblem<Double>(length: Self.length, keyDimension: 3, valueDimension: 4, seed: 31)
        let (prefill, rest) = order.forms
        var worst = Worst()
        for gamma in Self.gammas {
            let decay = Decay.valid(gamma)
            let whole = try GradientForm.recurrent.backward(p, decay: decay, chunkSize: 1, withState: true)
            for split in Self.splits {
                let context = "\(order.rawValue) γ=\(gamma) split=\(split)"
                let middle = try Self.handedOver(p, split: split, form: prefill.0, chunkSize: prefill.1, decay: decay)
                // The continuation first: it receives the final-state gradient and returns the
                // gradient for the state it started from, which the prefill then receives.
                let second = try rest.0.backward(Self.part(p, split..<Self.length, start: middle, dS: p.dS),
                                                 decay: decay, chunkSize: rest.1, withState: true)
                let first = try prefill.0.backward(Self.part(p, 0..<split, start: p.start, dS: second.dState),
                                                   decay: decay, chunkSize: prefill.1, withState: true)
                let joined = RetentionGradients(dQ: first.dQ.stacked(above: second.dQ),
                                                dK: first.dK.stacked(above: second.dK),
                                                dV: first.dV.stacked(above: second.dV), dState: first.dState)
                for ((name, value), (_, expected)) in zip(joined.named, whole.named) {
                    let terms = { gradientTermSizes(p, gamma: gamma, withState: true)[name] ?? 0 }
                    worst.record(expectClose(value, expected, relative: 1e-12, "[\(context)] \(name) vs one pass",
                                             terms: terms), "\(name), \(context)")
                }
            }
        }
        print("\(order.rawValue) backward hand-off: worst \(worst)")
    }
}
