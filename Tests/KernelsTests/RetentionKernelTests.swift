import FastRetention
import Matrices
import Retention
import Testing
@testable import Kernels
import Measuring

/// Q, K (n×d_k) and V (n×d_v) in Float, seeded.
func retentionInputs(n: Int, dk: Int, dv: Int, seed: UInt64) -> (q: Matrix<Float>, k: Matrix<Float>, v: Matrix<Float>) {
    var rng = SplitMix64(seed: seed)
    let scale = 1 / Double(max(dk, 1)).squareRoot()
    return (Matrix<Float>.gaussian(rows: n, columns: dk, scale: scale, using: &rng),
            Matrix<Float>.gaussian(rows: n, columns: dk, scale: scale, using: &rng),
            Matrix<Float>.gaussian(rows: n, columns: dv, using: &rng))
}

/// The kernels are held to `RetentionAccuracy`'s bound: |Δ| ≤ γ_R M componentwise, for the outputs
/// and for the state a kernel hands on.
extension RetentionAccuracy {
    init(q: Matrix<Float>, k: Matrix<Float>, v: Matrix<Float>, gamma: Float) throws {
        try self.init(q: q, k: k, v: v, decay: Decay(gamma))
    }

    func expectClose(_ got: Matrix<Float>, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let w = error(of: got)
        #expect(w.ratio <= bound, "\(what): |Δ|/M = \(w.ratio) > \(bound) at [\(w.row), \(w.column)]",
                sourceLocation: sourceLocation)
    }

    func expectStateClose(_ got: RetentionKernelState, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let w = stateError(of: got)
        #expect(w.ratio <= bound, "\(what) state: |Δ|/M = \(w.ratio) > \(bound) at [\(w.row), \(w.column)]",
                sourceLocation: sourceLocation)
    }
}

@Suite struct RetentionKernelTests {
    static let shapes: [[Int]] = [[1, 1, 1], [7, 7, 17], [33, 16, 40], [97, 33, 17], [50, 64, 64], [20, 2, 33]]
    static let gamma: Float = 1 - 1.0 / 32

    @Test(arguments: shapes)
    func parallelMatchesTheReference(shape: [Int]) throws {
        let (n, dk, dv) = (shape[0], shape[1], shape[2])
        let (q, k, v) = retentionInputs(n: n, dk: dk, dv: dv, seed: UInt64(n + dk + dv))
        let reference = try RetentionAccuracy(q: q, k: k, v: v, gamma: Self.gamma)
        let got = try RetentionKernels.parallel(q: q, k: k, v: v, decay: Decay(Self.gamma))
        reference.expectClose(got, "parallel \(n)×\(dk)×\(dv)")
    }

    @Test(arguments: shapes)
    func chunkwiseMatchesTheReferenceForEveryKindOfChunkSize(shape: [Int]) throws {
        let (n, dk, dv) = (shape[0], shape[1], shape[2])
        let (q, k, v) = retentionInputs(n: n, dk: dk, dv: dv, seed: UInt64(3 * n + dk))
        let reference = try RetentionAccuracy(q: q, k: k, v: v, gamma: Self.gamma)
        for b in Set([1, 5, 16, n, n + 3]) {
            let got = try RetentionKernels.chunkwise(q: q, k: k, v: v, decay: Decay(Self.gamma), chunkSize: b)
            reference.expectClose(got.outputs, "chunkwise B = \(b), \(n)×\(dk)×\(dv)")
            reference.expectStateClose(got.state, "chunkwise B = \(b)")
            #expect(got.state.position == n)
        }
    }

    @Test(arguments: shapes)
    func recurrentMatchesTheReference(shape: [Int]) throws {
        let (n, dk, dv) = (shape[0], shape[1], shape[2])
        let (q, k, v) = retentionInputs(n: n, dk: dk, dv: dv, seed: UInt64(5 * n + dv))
        let reference = try RetentionAccuracy(q: q, k: k, v: v, gamma: Self.gamma)
        let got = try RetentionKernels.recurrent(q: q, k: k, v: v, decay: Decay(Self.gamma))
        reference.expectClose(got.outputs, "recurrent \(n)×\(dk)×\(dv)")
        reference.expectStateClose(got.state, "recurrent")
    }

    /// Prefill chunkwise, then decode token by token with the step function, and also hand the
    /// state to the reference recurrent form and back: all equal the parallel reference.
    @Test func chunkwisePrefillThenDecodingStepByStep() throws {
        let (n, dk, dv, split) = (61, 24, 19, 40)
        let (q, k, v) = retentionInputs(n: n, dk: dk, dv: dv, seed: 17)
        let decay = try Decay(Self.gamma)
        let reference = try RetentionAccuracy(q: q, k: k, v: v, gamma: Self.gamma)
        let prefill = try RetentionKernels.chunkwise(q: q.rowRange(0..<split), k: k.rowRange(0..<split),
                                                     v: v.rowRange(0..<split), decay: decay, chunkSize: 16)
        var state = prefill.state
        var outputs = prefill.outputs
        for t in split..<n {
            let o = try state.step(q: q.row(t).storage, k: k.row(t).storage, v: v.row(t).storage, decay: decay)
            outputs = outputs.stacked(above: Matrix(rows: 1, columns: dv, entries: o))
        }
        #expect(state.position == n)
        reference.expectClose(outputs, "chunkwise prefill + decoding steps")
        // The reference form carries on from the kernel's state, and the kernel from the reference's.
        let rest = try RecurrentRetention.outputs(q: q.rowRange(split..<n), k: k.rowRange(split..<n),
                                                  v: v.rowRange(split..<n), decay: decay, from: prefill.state.reference)
        reference.expectClose(prefill.outputs.stacked(above: rest.outputs), "kernel prefill + reference decoding")
        let back = RetentionKernelState(rest.state)
        #expect(back.position == n && back.reference == rest.state)
    }

    /// The bound is tight enough to catch a decay that is off by one power: a test that could
    /// not fail would prove nothing.
    @Test func theBoundCatchesAWrongDecay() throws {
        let (n, dk, dv) = (33, 16, 17)
        let (q, k, v) = retentionInputs(n: n, dk: dk, dv: dv, seed: 9)
        let reference = try RetentionAccuracy(q: q, k: k, v: v, gamma: Self.gamma)
        // γ² in place of γ is γ^{2(t−m)}: wrong by a factor γ^{t−m} ≈ 1 − (t−m)/32.
        let wrong = try RetentionKernels.parallel(q: q, k: k, v: v, decay: Decay(Self.gamma * Self.gamma))
        #expect(reference.error(of: wrong).ratio
            > reference.bound)
        let right = try RetentionKernels.parallel(q: q, k: k, v: v, decay: Decay(Self.gamma))
        #expect(reference.error(of: right).ratio
            <= reference.bound)
    }

    @Test func emptyInputsGiveEmptyOutputs() throws {
        let decay = try Decay<Float>(0.5)
        let none = Matrix<Float>(rows: 0, columns: 4)
        #expect(try RetentionKernels.parallel(q: none, k: none, v: Matrix(rows: 0, columns: 3), decay: decay).shape
            == Shape(rows: 0, columns: 3))
        let chunked = try RetentionKernels.chunkwise(q: none, k: none, v: Matrix(rows: 0, columns: 3), decay: decay, chunkSize: 2)
        #expect(chunked.outputs.rows == 0 && chunked.state.position == 0 && chunked.state.s == [Float](repeating: 0, count: 12))
        // d_k = 0: no scores, so every output is 0.
        let noKeys = Matrix<Float>(rows: 5, columns: 0)
        let values = Matrix<Float>(rows: 5, columns: 3, repeating: 1)
        #expect(try RetentionKernels.parallel(q: noKeys, k: noKeys, v: values, decay: decay) == Matrix(rows: 5, columns: 3))
        #expect(try RetentionKernels.recurrent(q: noKeys, k: noKeys, v: values, decay: decay).outputs == Matrix(rows: 5, columns: 3))
    }

    /// The raw-memory entry points the fast model calls write every output and state entry,
    /// whatever the buffers held, exactly as the public forms compute them, and nothing outside.
    @Test(arguments: [[37, 9, 21], [1, 16, 16], [5, 0, 3]])
    func rawEntryPointsEqualThePublicFormsAndWriteOnlyTheirBuffers(shape: [Int]) throws {
        let (n, dk, dv, split) = (shape[0], shape[1], shape[2], shape[0] / 2)
        let (q, k, v) = retentionInputs(n: n, dk: dk, dv: dv, seed: 23)
        let decay = try Decay(Self.gamma)
        let rest = (q: q.rowRange(split..<n), k: k.rowRange(split..<n), v: v.rowRange(split..<n))
        let prefill = try RetentionKernels.chunkwise(q: q.rowRange(0..<split), k: k.rowRange(0..<split),
                                                     v: v.rowRange(0..<split), decay: decay, chunkSize: 4).state
        let guardValue: Float = -7, margin = 16
        /// Runs `kernel` on Q, K, V of `rows` rows with outputs and state in guarded buffers (the
        /// state starting as `start`); returns both, after checking the guards.
        func raw(_ name: String, _ rows: (q: Matrix<Float>, k: Matrix<Float>, v: Matrix<Float>), start: [Float],
                 _ kernel: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, Int,
                            UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> (outputs: [Float], s: [Float]) {
            let count = rows.q.rows * dv
            var out = [Float](repeating: guardValue, count: count + 2 * margin)
            var s = [Float](repeating: guardValue, count: margin) + start + [Float](repeating: guardValue, count: margin)
            rows.q.storage.withUnsafeBufferPointer { q in
                rows.k.storage.withUnsafeBufferPointer { k in
                    rows.v.storage.withUnsafeBufferPointer { v in
                        out.withUnsafeMutableBufferPointer { out in
                            s.withUnsafeMutableBufferPointer { s in
                                kernel(q.baseAddress!, k.baseAddress!, v.baseAddress!, rows.q.rows,
                                       out.baseAddress! + margin, s.baseAddress! + margin)
                            }
                        }
                    }
                }
            }
            let guards = Array(out[..<margin] + out[(margin + count)...] + s[..<margin] + s[(margin + start.count)...])
            #expect(guards.allSatisfy { $0 == guardValue }, "\(name) \(shape): wrote outside its buffers")
            return (Array(out[margin..<(margin + count)]), Array(s[margin..<(margin + start.count)]))
        }
        let garbage = [Float](repeating: 3, count: dk * dv)
        let tiled = try RetentionKernels.tiledParallel(q: q, k: k, v: v, decay: decay)
        let tiledRaw = raw("tiled parallel", (q, k, v), start: garbage) { q, k, v, rows, out, s in
            RetentionKernels.tiledParallel(q: q, k: k, v: v, rows: rows, dk: dk, dv: dv, decay: decay, into: out, state: s)
        }
        #expect(tiledRaw.outputs == tiled.outputs.storage && tiledRaw.s == tiled.state.s, "tiled parallel \(shape)")
        let parallelRaw = raw("parallel", (q, k, v), start: garbage) { q, k, v, rows, out, _ in
            RetentionKernels.parallel(q: q, k: k, v: v, rows: rows, dk: dk, dv: dv, decay: decay, into: out)
        }
        #expect(parallelRaw.outputs == (try RetentionKernels.parallel(q: q, k: k, v: v, decay: decay)).storage)
        let chunked = try RetentionKernels.chunkwise(q: rest.q, k: rest.k, v: rest.v, decay: decay, chunkSize: 3, from: prefill)
        let chunkedRaw = raw("chunkwise", rest, start: prefill.s) { q, k, v, rows, out, s in
            RetentionKernels.chunkwise(q: q, k: k, v: v, rows: rows, dk: dk, dv: dv, decay: decay, chunkSize: 3, into: out, state: s)
        }
        #expect(chunkedRaw.outputs == chunked.outputs.storage && chunkedRaw.s == chunked.state.s, "chunkwise \(shape)")
        let recurrent = try RetentionKernels.recurrent(q: rest.q, k: rest.k, v: rest.v, decay: decay, from: prefill)
        let recurrentRaw = raw("recurrent", rest, start: prefill.s) { q, k, v, rows, out, s in
            RetentionKernels.recurrent(q: q, k: k, v: v, rows: rows, dk: dk, dv: dv, decay: decay, into: out, state: s)
        }
        #expect(recurrentRaw.outputs == recurrent.outputs.storage && recurrentRaw.s == recurrent.state.s, "recurrent \(shape)")
    }

    @Test func badShapesThrowTheReferenceErrors() throws {
        let decay = try Decay<Float>(0.9)
        let (q, k, v) = retentionInputs(n: 5, dk: 4, dv: 3, seed: 1)
        let shortK = k.rowRange(0..<4)
        let kError = RetentionError.shape(ShapeError(argument: "K", expected: "5×4 (the shape of Q, n×d_k)", got: "4×4"))
        #expect(throws: kError) { try RetentionKernels.parallel(q: q, k: shortK, v: v, decay: decay) }
        #expect(throws: kError) { try RetentionKernels.chunkwise(q: q, k: shortK, v: v, decay: decay, chunkSize: 2) }
        #expect(throws: kError) { try RetentionKernels.recurrent(q: q, k: shortK, v: v, decay: decay) }
        let vError = RetentionError.shape(ShapeError(argument: "V", expected: "5 rows (one per row of Q, n×d_v)", got: "2×3"))
        #expect(throws: vError) { try RetentionKernels.parallel(q: q, k: k, v: v.rowRange(0..<2), decay: decay) }
        #expect(throws: RetentionError.chunkSize(0)) {
            try RetentionKernels.chunkwise(q: q, k: k, v: v, decay: decay, chunkSize: 0)
        }
        let other = try RetentionKernelState(keyDimension: 3, valueDimension: 3)
        let stateError = RetentionError.shape(ShapeError(argument: "state", expected: "4×3 (d_k×d_v from K and V)", got: "3×3"))
        #expect(throws: stateError) { try RetentionKernels.recurrent(q: q, k: k, v: v, decay: decay, from: other) }
        #expect(throws: stateError) { try RetentionKernels.chunkwise(q: q, k: k, v: v, decay: decay, chunkSize: 2, from: other) }
        #expect(throws: RetentionError.self) { try RetentionKernelState(keyDimension: -1, valueDimension: 2) }

        var state = try RetentionKernelState(keyDimension: 4, valueDimension: 3)
        #expect(throws: RetentionError.shape(ShapeError(argument: "k", expected: "4 entries (d_k)", got: "3"))) {
            try state.step(q: [1, 2, 3, 4], k: [1, 2, 3], v: [1, 2, 3], decay: decay)
        }
        #expect(throws: RetentionError.shape(ShapeError(argument: "v", expected: "3 entries (d_v)", got: "4"))) {
            try state.step(q: [1, 2, 3, 4], k: [1, 2, 3, 4], v: [1, 2, 3, 4], decay: decay)
        }
        #expect(state.position == 0 && state.s.allSatisfy { $0 == 0 })  // untouched by the failed steps
    }
}
