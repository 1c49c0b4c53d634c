import Matrices
import TestSupport
import Testing

import Retention

/// The state is a plain value that one form hands to another: prefill a prompt chunkwise, then
/// decode recurrently (or the other way round), and the outputs are the parallel form's.
@Suite("State hand-off between forms")
struct StateHandOffTests {
    static let length = 61
    /// Split points: none, one token, inside a chunk, on a chunk boundary, all but one, all.
    static let splits = [0, 1, 13, 24, 37, 60, 61]
    static let chunkSizes = [1, 4, 7, 12, 61, 100]
    static let gammas = [1, 0.96875, 0.5]  // no decay, 1 − 2⁻⁵, fast decay

    /// Runs `prefix` over rows 0..<split and `rest` over the others, joining the outputs; checks
    /// that each part leaves the state at the position it reached.
    static func handOff(_ p: Problem<Double>, split: Int, _ what: String,
                        prefix: (Problem<Double>) throws -> (outputs: Matrix<Double>, state: RetentionState<Double>),
                        rest: (Problem<Double>, RetentionState<Double>) throws
                            -> (outputs: Matrix<Double>, state: RetentionState<Double>)) throws
        -> (outputs: Matrix<Double>, state: RetentionState<Double>)
    {
        let first = try prefix(p.rows(0..<split))
        #expect(first.state.position == split, "[\(what)] prefix of \(split) rows left position \(first.state.position)")
        let second = try rest(p.rows(split..<p.length), first.state)
        #expect(second.state.position == p.length,
                "[\(what)] final position \(second.state.position), expected \(p.length)")
        return (first.outputs.stacked(above: second.outputs), second.state)
    }

    /// Which form prefills and which continues, with the problem's sizes and seed.
    enum Order: String, CaseIterable, CustomTestStringConvertible {
        case chunkwiseThenRecurrent = "chunkwise→recurrent"
        case recurrentThenChunkwise = "recurrent→chunkwise"

        var testDescription: String { rawValue }

        var problem: Problem<Double> {
            switch self {
            case .chunkwiseThenRecurrent: Problem(length: StateHandOffTests.length, keyDimension: 5, valueDimension: 3, seed: 11)
            case .recurrentThenChunkwise: Problem(length: StateHandOffTests.length, keyDimension: 4, valueDimension: 6, seed: 12)
            }
        }

        /// Prefills rows 0..<split of `p` with one form and continues with the other.
        func run(_ p: Problem<Double>, split: Int, decay: Decay<Double>, chunkSize b: Int, _ what: String) throws
            -> (outputs: Matrix<Double>, state: RetentionState<Double>)
        {
            switch self {
            case .chunkwiseThenRecurrent:
                try StateHandOffTests.handOff(
                    p, split: split, what,
                    prefix: { try ChunkwiseRetention.outputs(q: $0.q, k: $0.k, v: $0.v, decay: decay, chunkSize: b) },
                    rest: { try RecurrentRetention.outputs(q: $0.q, k: $0.k, v: $0.v, decay: decay, from: $1) })
            case .recurrentThenChunkwise:
                try StateHandOffTests.handOff(
                    p, split: split, what,
                    prefix: { try RecurrentRetention.outputs(q: $0.q, k: $0.k, v: $0.v, decay: decay) },
                    rest: { try ChunkwiseRetention.outputs(q: $0.q, k: $0.k, v: $0.v, decay: decay,
                                                           chunkSize: b, from: $1) })
            }
        }
    }

    /// Every split, chunk size and γ: the joined outputs are the parallel form's, and the state
    /// handed out at the end is the one a single recurrent pass over all rows leaves.
    @Test("prefill in one form, continue in the other = parallel (Double, 1e-12)", arguments: Order.allCases)
    func handOffBetweenForms(order: Order) throws {
        var worst = Worst(), worstState = Worst()
        let p = order.problem
        for gamma in Self.gammas {
            let decay = Decay.valid(gamma)
            let parallel = try ParallelRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay)
            let whole = try RecurrentRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay).state
            for split in Self.splits {
                for b in Self.chunkSizes {
                    let context = "\(order.rawValue) γ=\(gamma) split=\(split) B=\(b)"
                    let joined = try order.run(p, split: split, decay: decay, chunkSize: b, context)
                    worst.record(expectClose(joined.outputs, parallel, relative: 1e-12, "[\(context)] outputs vs parallel"),
                                 context)
                    worstState.record(expectClose(joined.state.s, whole.s, relative: 1e-12,
                                                  "[\(context)] final state vs one recurrent pass"), context)
                }
            }
        }
        print("\(order.rawValue) hand-off: worst outputs \(worst), final state \(worstState)")
    }

    @Test("token-by-token steps = the recurrent form = parallel, and the state is a copyable value")
    func stepByStep() throws {
        let decay = Decay.valid(0.9)
        let p = Problem<Double>(length: 40, keyDimension: 3, valueDimension: 5, seed: 13)
        let parallel = try ParallelRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay)
        var state = RetentionState<Double>(keyDimension: 3, valueDimension: 5)
        var saved: RetentionState<Double>? = nil
        var rows: [Matrix<Double>] = []
        for n in 0..<p.length {
            if n == 25 { saved = state }  // a copy: stepping `state` on must not change it
            rows.append(try state.step(q: p.q.row(n), k: p.k.row(n), v: p.v.row(n), decay: decay))
        }
        let stepped = stack(rows)
        expectClose(stepped, parallel, relative: 1e-12, "steps vs parallel")
        #expect(state.position == 40, "position after 40 steps is \(state.position)")

        // Resuming the saved copy at row 25 reproduces rows 25… and the same final state.
        let saved25 = try #require(saved)
        #expect(saved25.position == 25, "saved state's position \(saved25.position), expected 25")
        let resumed = try RecurrentRetention.outputs(q: p.q.rowRange(25..<40), k: p.k.rowRange(25..<40),
                                                     v: p.v.rowRange(25..<40), decay: decay, from: saved25)
        expectClose(resumed.outputs, parallel.rowRange(25..<40), relative: 1e-12, "resumed from the saved copy")
        expectClose(resumed.state.s, state.s, relative: 1e-12, "final state resumed vs stepped")
    }

    @Test("chunkwise prefill with one B, continued chunkwise with another = parallel")
    func chunkwiseThenChunkwise() throws {
        let decay = Decay.valid(0.99)
        let p = Problem<Double>(length: 50, keyDimension: 2, valueDimension: 7, seed: 14)
        let parallel = try ParallelRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay)
        for (split, first, second) in [(20, 8, 3), (23, 5, 64), (1, 1, 7), (49, 16, 1)] {
            let context = "split=\(split) B=\(first) then B=\(second)"
            let joined = try Self.handOff(
                p, split: split, context,
                prefix: { try ChunkwiseRetention.outputs(q: $0.q, k: $0.k, v: $0.v, decay: decay, chunkSize: first) },
                rest: { try ChunkwiseRetention.outputs(q: $0.q, k: $0.k, v: $0.v, decay: decay,
                                                       chunkSize: second, from: $1) })
            expectClose(joined.outputs, parallel, relative: 1e-12, "[\(context)] chunkwise→chunkwise vs parallel")
        }
    }
}
