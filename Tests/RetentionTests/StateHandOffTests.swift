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

    /// Runs `prefix` over rows 0..<split and `rest` over the others, joining the outputs.
    static func handOff(_ p: Problem<Double>, split: Int,
                        prefix: (Problem<Double>) throws -> (outputs: Matrix<Double>, state: RetentionState<Double>),
                        rest: (Problem<Double>, RetentionState<Double>) throws
                            -> (outputs: Matrix<Double>, state: RetentionState<Double>)) throws
        -> (outputs: Matrix<Double>, state: RetentionState<Double>)
    {
        let first = try prefix(p.rows(0..<split))
        #expect(first.state.position == split, "prefix of \(split) rows left position \(first.state.position)")
        let second = try rest(p.rows(split..<p.length), first.state)
        return (first.outputs.stacked(above: second.outputs), second.state)
    }

    @Test("chunkwise prefix, then recurrent rest = parallel (Double, 1e-12)")
    func chunkwiseThenRecurrent() throws {
        var worst = Worst()
        for gamma in Self.gammas {
            let decay = Decay.valid(gamma)
            let p = Problem<Double>(length: Self.length, keyDimension: 5, valueDimension: 3, seed: 11)
            let parallel = try ParallelRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay)
            for split in Self.splits {
                for b in Self.chunkSizes {
                    let joined = try Self.handOff(
                        p, split: split,
                        prefix: { try ChunkwiseRetention.outputs(q: $0.q, k: $0.k, v: $0.v, decay: decay, chunkSize: b) },
                        rest: { try RecurrentRetention.outputs(q: $0.q, k: $0.k, v: $0.v, decay: decay, from: $1) })
                    let context = "γ=\(gamma) split=\(split) B=\(b)"
                    worst.record(expectClose(joined.outputs, parallel, relative: 1e-12,
                                             "[\(context)] chunkwise→recurrent vs parallel"), context)
                    #expect(joined.state.position == Self.length,
                            "[\(context)] final position \(joined.state.position), expected \(Self.length)")
                }
            }
        }
        print("chunkwise→recurrent hand-off: worst \(worst)")
    }

    @Test("recurrent prefix, then chunkwise rest = parallel (Double, 1e-12)")
    func recurrentThenChunkwise() throws {
        var worst = Worst()
        for gamma in Self.gammas {
            let decay = Decay.valid(gamma)
            let p = Problem<Double>(length: Self.length, keyDimension: 4, valueDimension: 6, seed: 12)
            let parallel = try ParallelRetention.outputs(q: p.q, k: p.k, v: p.v, decay: decay)
            for split in Self.splits {
                for b in Self.chunkSizes {
                    let joined = try Self.handOff(
                        p, split: split,
                        prefix: { try RecurrentRetention.outputs(q: $0.q, k: $0.k, v: $0.v, decay: decay) },
                        rest: { try ChunkwiseRetention.outputs(q: $0.q, k: $0.k, v: $0.v, decay: decay,
                                                               chunkSize: b, from: $1) })
                    let context = "γ=\(gamma) split=\(split) B=\(b)"
                    worst.record(expectClose(joined.outputs, parallel, relative: 1e-12,
                                             "[\(context)] recurrent→chunkwise vs parallel"), context)
                }
            }
        }
        print("recurrent→chunkwise hand-off: worst \(worst)")
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
            let joined = try Self.handOff(
                p, split: split,
                prefix: { try ChunkwiseRetention.outputs(q: $0.q, k: $0.k, v: $0.v, decay: decay, chunkSize: first) },
                rest: { try ChunkwiseRetention.outputs(q: $0.q, k: $0.k, v: $0.v, decay: decay,
                                                       chunkSize: second, from: $1) })
            expectClose(joined.outputs, parallel, relative: 1e-12,
                        "[split=\(split) B=\(first) then B=\(second)] chunkwise→chunkwise vs parallel")
        }
    }
}
