import Matrices
import Testing

import Retention

/// Checks that `body` throws exactly `expected` (typed: nothing else can come out), and that
/// the message mentions every string in `mentions` (the argument, what is expected, what was given).
func expectError<R>(_ expected: RetentionError, mentioning mentions: [String], _ what: String,
                    sourceLocation: SourceLocation = #_sourceLocation,
                    _ body: () throws(RetentionError) -> R)
{
    do {
        let result = try body()
        Issue.record("\(what): expected \(expected), but it returned \(result)", sourceLocation: sourceLocation)
    } catch {
        #expect(error == expected, "\(what): threw \(error), expected \(expected)", sourceLocation: sourceLocation)
        for word in mentions {
            #expect(error.description.contains(word),
                    "\(what): message \"\(error.description)\" does not mention \"\(word)\"", sourceLocation: sourceLocation)
        }
    }
}

@Suite("Bad input throws RetentionError")
struct ErrorTests {
    static let q = Matrix<Double>(rows: 5, columns: 3, repeating: 0.5)
    static let v = Matrix<Double>(rows: 5, columns: 2, repeating: 0.25)
    static let decay = Decay.valid(0.9)

    @Test("γ outside (0, 1], or NaN, is rejected (Double)")
    func gammaDouble() {
        expectError(.gamma(1.5), mentioning: ["γ (gamma)", "(0, 1]", "1.5"], "γ = 1.5") { () throws(RetentionError) in
            try Decay(1.5)
        }
        #expect(RetentionError.gamma(1.5).description == "γ (gamma) must be in (0, 1], got 1.5")
        for bad in [0.0, -0.0, -0.5, 1.0.nextUp, 2, .infinity, -.infinity, -.leastNonzeroMagnitude] {
            expectError(.gamma(bad), mentioning: ["γ (gamma)", "(0, 1]", "\(bad)"], "γ = \(bad)") {
                () throws(RetentionError) in try Decay(bad)
            }
        }
        expectError(.gamma(.nan), mentioning: ["γ (gamma)", "(0, 1]", "nan"], "γ = NaN") { () throws(RetentionError) in
            try Decay(Double.nan)
        }
    }

    @Test("γ outside (0, 1], or NaN, is rejected (Float)")
    func gammaFloat() {
        for bad: Float in [0, -1, 1.5, Float(1).nextUp, .infinity] {
            expectError(.gamma(Double(bad)), mentioning: ["γ (gamma)", "(0, 1]"], "Float γ = \(bad)") {
                () throws(RetentionError) in try Decay(bad)
            }
        }
        expectError(.gamma(.nan), mentioning: ["γ (gamma)", "nan"], "Float γ = NaN") { () throws(RetentionError) in
            try Decay(Float.nan)
        }
    }

    @Test("NaN γ errors compare equal to each other (so a test can expect one)")
    func nanErrorsAreEqual() {
        #expect(RetentionError.gamma(.nan) == .gamma(.nan))
        #expect(RetentionError.gamma(.nan) != .gamma(1.5))
        #expect(RetentionError.chunkSize(0) != .gamma(0))
    }

    @Test("chunk size B < 1 is rejected")
    func chunkSize() {
        for bad in [0, -1, Int.min] {
            expectError(.chunkSize(bad), mentioning: ["chunk size B", "≥ 1", "\(bad)"], "B = \(bad)") {
                () throws(RetentionError) in
                try ChunkwiseRetention.outputs(q: Self.q, k: Self.q, v: Self.v, decay: Self.decay, chunkSize: bad)
            }
            expectError(.chunkSize(bad), mentioning: ["chunk size B"], "cost with B = \(bad)") {
                () throws(RetentionError) in
                try RetentionCost.chunkwise(length: 10, keyDimension: 2, valueDimension: 2, chunkSize: bad)
            }
        }
        #expect(RetentionError.chunkSize(0).description == "chunk size B must be ≥ 1, got 0")
        // B is checked first, so a bad B is reported even when the shapes are also wrong.
        expectError(.chunkSize(0), mentioning: [], "B = 0 with a bad K") { () throws(RetentionError) in
            try ChunkwiseRetention.outputs(q: Self.q, k: Self.v, v: Self.v, decay: Self.decay, chunkSize: 0)
        }
    }

    /// Runs `body` for every public sequence entry point, named.
    static func everyForm(q: Matrix<Double>, k: Matrix<Double>, v: Matrix<Double>,
                          state: RetentionState<Double>? = nil)
        -> [(name: String, run: () throws(RetentionError) -> Matrix<Double>)]
    {
        var forms: [(name: String, run: () throws(RetentionError) -> Matrix<Double>)] = [
            ("recurrent", { () throws(RetentionError) in
                try RecurrentRetention.outputs(q: q, k: k, v: v, decay: decay, from: state).outputs
            }),
            ("chunkwise", { () throws(RetentionError) in
                try ChunkwiseRetention.outputs(q: q, k: k, v: v, decay: decay, chunkSize: 2, from: state).outputs
            }),
        ]
        if state == nil {
            forms.append(("parallel", { () throws(RetentionError) in
                try ParallelRetention.outputs(q: q, k: k, v: v, decay: decay)
            }))
        }
        return forms
    }

    static func shapeError(_ argument: String, _ expected: String, _ got: String) -> RetentionError {
        .shape(ShapeError(argument: argument, expected: expected, got: got))
    }

    @Test("K not shaped like Q is rejected, naming K and both shapes")
    func keyShape() {
        for badK in [Matrix<Double>(rows: 4, columns: 3), Matrix<Double>(rows: 5, columns: 2)] {
            let expected = Self.shapeError("K", "5×3 (the shape of Q, n×d_k)", "\(badK.shape)")
            for form in Self.everyForm(q: Self.q, k: badK, v: Self.v) {
                expectError(expected, mentioning: ["K", "5×3", "\(badK.shape)"], "\(form.name) with K \(badK.shape)",
                            form.run)
            }
            expectError(expected, mentioning: ["K", "5×3"], "scores with K \(badK.shape)") { () throws(RetentionError) in
                try ParallelRetention.scores(q: Self.q, k: badK, decay: Self.decay)
            }
        }
    }

    @Test("V with a different number of rows is rejected, naming V")
    func valueRows() {
        let badV = Matrix<Double>(rows: 4, columns: 2)
        let expected = Self.shapeError("V", "5 rows (one per row of Q, n×d_v)", "4×2")
        for form in Self.everyForm(q: Self.q, k: Self.q, v: badV) {
            expectError(expected, mentioning: ["V", "5 rows", "4×2"], "\(form.name) with V 4×2", form.run)
        }
    }

    @Test("a state that is not d_k×d_v is rejected, naming the state and both shapes")
    func stateShape() {
        for bad in [RetentionState<Double>(keyDimension: 2, valueDimension: 2),
                    RetentionState<Double>(keyDimension: 3, valueDimension: 5)] {
            let expected = Self.shapeError("state", "3×2 (d_k×d_v from K and V)", "\(bad.s.shape)")
            for form in Self.everyForm(q: Self.q, k: Self.q, v: Self.v, state: bad) {
                expectError(expected, mentioning: ["state", "3×2", "\(bad.s.shape)"],
                            "\(form.name) from a \(bad.s.shape) state", form.run)
            }
        }
    }

    @Test("step rejects rows that are not one token, and a mismatched state, leaving the state untouched")
    func stepShapes() {
        let row = Matrix<Double>(rows: 1, columns: 3, repeating: 1)
        let value = Matrix<Double>(rows: 1, columns: 2, repeating: 1)
        let start = RetentionState(s: Matrix<Double>(rows: 3, columns: 2, repeating: 0.5), position: 4)
        let cases: [(String, Matrix<Double>, Matrix<Double>, Matrix<Double>, RetentionState<Double>, RetentionError)] = [
            ("q with 2 rows", Self.q.rowRange(0..<2), Self.q.rowRange(0..<2), value, start,
             Self.shapeError("q", "1 row (one token, 1×d_k)", "2×3")),
            ("k of another width", row, Matrix(rows: 1, columns: 4), value, start,
             Self.shapeError("k", "1×3 (the shape of q, 1×d_k)", "1×4")),
            ("v with 2 rows", row, row, Self.v.rowRange(0..<2), start,
             Self.shapeError("v", "1 row (one token, 1×d_v)", "2×2")),
            ("a 2×2 state", row, row, value, RetentionState(keyDimension: 2, valueDimension: 2),
             Self.shapeError("state", "3×2 (d_k×d_v from K and V)", "2×2")),
        ]
        for (what, q, k, v, state, expected) in cases {
            var s = state
            expectError(expected, mentioning: [], "step with \(what)") { () throws(RetentionError) in
                try s.step(q: q, k: k, v: v, decay: Self.decay)
            }
            #expect(s == state, "step with \(what) changed the state although it threw")
        }
    }

    @Test("cost formulas reject negative sizes, naming the size")
    func costSizes() {
        expectError(Self.shapeError("length n", "a size ≥ 0", "-1"), mentioning: ["length n", "-1"], "n = -1") {
            () throws(RetentionError) in try RetentionCost.parallel(length: -1, keyDimension: 2, valueDimension: 2)
        }
        expectError(Self.shapeError("key dimension d_k", "a size ≥ 0", "-2"), mentioning: ["d_k"], "d_k = -2") {
            () throws(RetentionError) in try RetentionCost.recurrent(length: 3, keyDimension: -2, valueDimension: 2)
        }
        expectError(Self.shapeError("value dimension d_v", "a size ≥ 0", "-3"), mentioning: ["d_v"], "d_v = -3") {
            () throws(RetentionError) in
            try RetentionCost.chunkwise(length: 3, keyDimension: 2, valueDimension: -3, chunkSize: 2)
        }
        // Sizes whose counts do not fit in an Int are an error, not an overflow trap.
        let huge = Self.shapeError("length n", "sizes whose cost fits in an Int", "a count beyond \(Int.max)")
        expectError(huge, mentioning: ["fits in an Int"], "n = 2^40 parallel") { () throws(RetentionError) in
            try RetentionCost.parallel(length: 1 << 40, keyDimension: 1 << 10, valueDimension: 1)
        }
        expectError(huge, mentioning: ["fits in an Int"], "d_k d_v = 2^70 recurrent") { () throws(RetentionError) in
            try RetentionCost.recurrent(length: 1, keyDimension: 1 << 35, valueDimension: 1 << 35)
        }
        expectError(huge, mentioning: ["fits in an Int"], "B = 2^40 chunkwise") { () throws(RetentionError) in
            try RetentionCost.chunkwise(length: 1 << 40, keyDimension: 1, valueDimension: 1, chunkSize: 1 << 40)
        }
    }
}
