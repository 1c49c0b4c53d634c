import Matrices
import Retention
import Testing
import Tracing

/// The retention forms record what they compute when handed a tracer, and compute exactly the
/// same numbers either way.
@Suite struct TracedRetentionTests {
    struct Example {
        let q: Matrix<Double>, k: Matrix<Double>, v: Matrix<Double>, decay: Decay<Double>

        init(length n: Int, seed: UInt64 = 7) throws {
            var rng = SplitMix64(seed: seed)
            q = .gaussian(rows: n, columns: 4, using: &rng)
            k = .gaussian(rows: n, columns: 4, using: &rng)
            v = .gaussian(rows: n, columns: 3, using: &rng)
            decay = try Decay(0.9)
        }
    }

    @Test(arguments: [1, 2, 6, 11])
    func tracingChangesNoOutputBitForBit(length: Int) throws {
        let e = try Example(length: length)
        #expect(try ParallelRetention.outputs(q: e.q, k: e.k, v: e.v, decay: e.decay, trace: Tracer())
                == ParallelRetention.outputs(q: e.q, k: e.k, v: e.v, decay: e.decay))
        let traced = try RecurrentRetention.outputs(q: e.q, k: e.k, v: e.v, decay: e.decay, trace: Tracer())
        let plain = try RecurrentRetention.outputs(q: e.q, k: e.k, v: e.v, decay: e.decay)
        #expect(traced.outputs == plain.outputs && traced.state == plain.state)
        for b in [1, 3, length, length + 2] {
            let traced = try ChunkwiseRetention.outputs(q: e.q, k: e.k, v: e.v, decay: e.decay, chunkSize: b, trace: Tracer())
            let plain = try ChunkwiseRetention.outputs(q: e.q, k: e.k, v: e.v, decay: e.decay, chunkSize: b)
            #expect(traced.outputs == plain.outputs && traced.state == plain.state, "B = \(b)")
        }
        var a = RetentionState<Double>(keyDimension: 4, valueDimension: 3), b = a
        let tracer = Tracer<Double>()
        for n in 0..<length {
            #expect(try a.step(q: e.q.row(n), k: e.k.row(n), v: e.v.row(n), decay: e.decay, trace: tracer)
                    == b.step(q: e.q.row(n), k: e.k.row(n), v: e.v.row(n), decay: e.decay))
        }
        #expect(a == b)
    }

    /// The parallel backward pass with a tracer returns the same gradients, bit for bit, and
    /// records its products: dV, dQ, dK and dS₋₁ as outputs, dA from dO Vᵀ and the same D as A.
    @Test(arguments: [0, 1, 2, 6, 11])
    func tracingChangesNoGradientBitForBit(length: Int) throws {
        let e = try Example(length: length)
        var rng = SplitMix64(seed: 70)
        let dO = Matrix<Double>.gaussian(rows: length, columns: 3, using: &rng)
        let tracer = Tracer<Double>()
        let traced = try ParallelRetention.backward(q: e.q, k: e.k, v: e.v, decay: e.decay, outputGradient: dO, trace: tracer)
        let plain = try ParallelRetention.backward(q: e.q, k: e.k, v: e.v, decay: e.decay, outputGradient: dO)
        #expect(traced == plain)
        let trace = tracer.trace
        #expect(trace.nodes.filter { $0.role == .output }.map(\.symbol) == ["dV", "dQ", "dK", "dS₋₁"])
        let mask = try #require(trace.nodes(.decayMask).first)
        #expect(trace.nodes(.decayMask).count == 1)
        let dA = try #require(trace.nodes.first { $0.symbol == "dA" })
        #expect(dA.inputs.map { trace[$0].symbol } == ["dO Vᵀ", "D"] && dA.inputs.last == mask.id)
        // (At n = 0 dO is empty like V, and nodes are linked by content, so it is V's node.)
        if length > 0 { #expect(trace.nodes.first { $0.symbol == "dO" }?.role == .input) }
    }

    @Test func theParallelFormRecordsOneQKTransposeAndItsMask() throws {
        let e = try Example(length: 5)
        let tracer = Tracer<Double>()
        let out = try ParallelRetention.outputs(q: e.q, k: e.k, v: e.v, decay: e.decay, trace: tracer)
        let trace = tracer.trace
        #expect(trace.nodes(.scores).count == 1)
        #expect(trace.nodes(.decayMask).count == 1)
        #expect(trace.nodes(.stateUpdate).isEmpty && trace.groups.isEmpty)
        let scores = try #require(trace.nodes(.scores).first)
        #expect(scores.symbol == "Q Kᵀ" && scores.shape == Shape(rows: 5, columns: 5))
        #expect(trace.nodes(.scores).first.map { $0.inputs.map { trace[$0].symbol } } == ["Q", "Kᵀ"])
        let result = try #require(trace.nodes.last)
        #expect(result.role == .output && result.shape == out.shape)
    }

    /// The recurrent form unrolled over n tokens: n state updates, each reading the one before
    /// (n − 1 hand-offs) and grouped in its own step.
    @Test(arguments: 1...9)
    func theRecurrentFormRecordsOneStateUpdatePerToken(length: Int) throws {
        let e = try Example(length: length)
        let tracer = Tracer<Double>()
        _ = try RecurrentRetention.outputs(q: e.q, k: e.k, v: e.v, decay: e.decay, trace: tracer)
        let trace = tracer.trace
        let updates = trace.nodes(.stateUpdate)
        #expect(updates.count == length)
        #expect(trace.groups.map(\.label) == (0..<length).map { "t = \($0)" })
        #expect(updates.map(\.group) == Array(0..<length))
        #expect(handOffs(trace) == length - 1)
        #expect(updates.map(\.symbol) == (0..<length).map { "S" + Notation.sub($0) })
        #expect(updates.first.map { trace[$0.inputs[0]].symbol } == "S₋₁")
    }

    /// The chunkwise form: ⌈n/B⌉ chunks, each with one state update, and ⌈n/B⌉ − 1 states handed
    /// from one chunk to the next; a last chunk shorter than B gets its own decay factors.
    @Test(arguments: [(1, 1), (6, 2), (6, 4), (7, 3), (10, 4), (5, 5), (3, 8), (9, 1)])
    func theChunkwiseFormRecordsItsChunksAndHandOffs(length: Int, chunkSize: Int) throws {
        let e = try Example(length: length)
        let tracer = Tracer<Double>()
        _ = try ChunkwiseRetention.outputs(q: e.q, k: e.k, v: e.v, decay: e.decay, chunkSize: chunkSize, trace: tracer)
        let trace = tracer.trace
        let chunks = (length + chunkSize - 1) / chunkSize
        #expect(trace.groups.count == chunks)
        #expect(trace.nodes(.stateUpdate).count == chunks)
        #expect(trace.nodes(.scores).count == chunks)
        #expect(handOffs(trace) == chunks - 1)
        let lengths = Set((0..<chunks).map { Swift.min(chunkSize, length - $0 * chunkSize) })
        #expect(trace.nodes(.decayMask).count == lengths.count)
        #expect(trace.nodes(.scores).map(\.shape.rows) == (0..<chunks).map { Swift.min(chunkSize, length - $0 * chunkSize) })
    }

    @Test func aTracedStepLinksToTheValuesItWasGivenByContent() throws {
        let e = try Example(length: 3)
        let tracer = Tracer<Double>()
        let qID = tracer.leaf("q", value: e.q.row(0))
        let gammaID = tracer.leaf("γ", role: .parameter, value: Matrix(rows: 1, columns: 1, entries: [0.9]))
        var state = RetentionState<Double>(keyDimension: 4, valueDimension: 3)
        _ = try state.step(q: e.q.row(0), k: e.k.row(0), v: e.v.row(0), decay: e.decay, trace: tracer)
        _ = try state.step(q: e.q.row(1), k: e.k.row(1), v: e.v.row(1), decay: e.decay, trace: tracer)
        let trace = tracer.trace
        let updates = trace.nodes(.stateUpdate)
        #expect(updates.count == 2)
        // Step 0 read the recorded q and γ; k, v and the zero state were new, so became leaves.
        let output0 = try #require(trace.nodes.first { $0.symbol == "o₀" })
        #expect(output0.inputs.contains(qID))
        #expect(updates[0].inputs.contains(gammaID))
        #expect(trace[updates[0].inputs[0]].operation == .leaf && trace[updates[0].inputs[0]].symbol == "S₋₁")
        // Step 1 started from exactly the state step 0 left: linked, not a new leaf.
        #expect(updates[1].inputs[0] == updates[0].id)
        #expect(updates[1].expression == "γ S₀ + K₁ᵀ V₁")
    }

    @Test func groupsNestAndCloseInOrder() {
        let tracer = Tracer<Double>()
        tracer.enterGroup("outer")
        tracer.enterGroup("inner")
        let a = tracer.leaf("a", value: Matrix([[1]]))
        tracer.leaveGroup()
        let b = tracer.leaf("b", value: Matrix([[2]]))
        tracer.leaveGroup()
        tracer.leaveGroup()  // one too many: harmless
        let c = tracer.leaf("c", value: Matrix([[3]]))
        let trace = tracer.trace
        #expect(trace.groups.map(\.label) == ["outer", "inner"] && trace.groups.map(\.parent) == [nil, 0])
        #expect([trace[a].group, trace[b].group, trace[c].group] == [1, 0, nil])
    }

    @Test func notationWritesSubAndSuperscriptIndices() {
        #expect(Notation.sub(0) == "₀" && Notation.sub(-1) == "₋₁" && Notation.sub(120) == "₁₂₀")
        #expect(Notation.sup(4) == "⁴" && Notation.sup(-23) == "⁻²³")
    }

    /// State updates read in another group (time step, chunk): the states handed on.
    func handOffs(_ trace: Trace) -> Int {
        trace.nodes(.stateUpdate).filter { update in
            trace.consumers(of: update.id).contains { $0.group != nil && $0.group != update.group }
        }.count
    }
}
