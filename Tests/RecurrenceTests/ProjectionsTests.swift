import Matrices
import TestSupport
import Recurrence
import Testing

@Suite("Projections")
struct ProjectionsTests {
    struct Setup: CustomTestStringConvertible, Sendable {
        let n: Int, model: Int, d: Int, dv: Int
        var testDescription: String { "n = \(n), d_model = \(model), d = \(d), d_v = \(dv)" }

        func make() throws -> (x: Matrix<Double>, p: Projections<Double>, a: Matrix<Double>) {
            var g = SplitMix64(seed: UInt64(1_000 * n + 100 * model + 10 * d + dv))
            let s = 1 / Double(model).squareRoot()
            let x = Matrix<Double>.gaussian(rows: n, columns: model, using: &g)
            let p = try Projections<Double>(wQ: .gaussian(rows: model, columns: d, scale: s, using: &g),
                                    wK: .gaussian(rows: model, columns: d, scale: s, using: &g),
                                    wV: .gaussian(rows: model, columns: dv, scale: s, using: &g))
            let a = Matrix<Double>.gaussian(rows: d, columns: d, scale: 0.5 / Double(d).squareRoot(), using: &g)
            return (x, p, a)
        }
    }

    static let setups: [Setup] = [
        .init(n: 1, model: 1, d: 1, dv: 1), .init(n: 5, model: 4, d: 3, dv: 2), .init(n: 9, model: 2, d: 5, dv: 1),
        .init(n: 12, model: 6, d: 2, dv: 4),
    ]

    @Test("callAsFunction is X·W_Q, X·W_K, X·W_V")
    func batched() throws {
        let (x, p, _) = try Self.setups[1].make()
        let (q, k, v) = try p(x)
        // The same products: bit-identical.
        #expect(q == x * p.wQ && k == x * p.wK && v == x * p.wV)
        #expect(q.shape == Shape(rows: 5, columns: 3) && v.shape == Shape(rows: 5, columns: 2))
    }

    @Test("streaming projection = projecting first, then the recurrence", arguments: setups)
    func streamingEqualsBatched(setup: Setup) throws {
        let (x, p, a) = try setup.make()
        let (q, k, v) = try p(x)
        for transition in [a, .identity(setup.d)] {
            let batched = try LinearRecurrence.outputs(q: q, k: k, v: v, transition: transition)
            let streamed = try p.streamingOutputs(x, transition: transition)
            expectClose(streamed, batched, relative: sameSumTolerance, "streaming vs batched, \(setup.testDescription)")
        }
    }

    @Test("streaming needs no future input: a prefix of X gives a prefix of the outputs")
    func streamingPrefix() throws {
        let (x, p, a) = try Self.setups[3].make()
        let all = try p.streamingOutputs(x, transition: a)
        let prefix = try p.streamingOutputs(x.rowRange(0..<7), transition: a)
        // Same operations in the same order: bit-identical.
        #expect(prefix == all.rowRange(0..<7))
    }

    @Test("weights with the wrong shape throw ShapeError naming W_K or W_V")
    func badWeights() {
        let w = Matrix<Double>(rows: 4, columns: 3)
        expectShapeError("W_K", got: "4×2", "W_K narrower than W_Q") { () throws(ShapeError) in
            _ = try Projections(wQ: w, wK: Matrix(rows: 4, columns: 2), wV: w)
        }
        expectShapeError("W_K", got: "5×3", "W_K taller than W_Q") { () throws(ShapeError) in
            _ = try Projections(wQ: w, wK: Matrix(rows: 5, columns: 3), wV: w)
        }
        expectShapeError("W_V", got: "3×7", "W_V for another d_model") { () throws(ShapeError) in
            _ = try Projections(wQ: w, wK: w, wV: Matrix(rows: 3, columns: 7))
        }
        // W_V may have any width d_v.
        #expect(throws: Never.self) { _ = try Projections(wQ: w, wK: w, wV: Matrix(rows: 4, columns: 9)) }
    }

    @Test("inputs with the wrong width, or a wrong A, throw ShapeError naming X or A")
    func badInputs() throws {
        let (x, p, a) = try Self.setups[1].make()  // d_model = 4, d = 3
        let wide = Matrix<Double>(rows: 5, columns: 5)
        expectShapeError("X", got: "5×5", "callAsFunction with d_model 5") { () throws(ShapeError) in
            _ = try p(wide)
        }
        expectShapeError("X", got: "5×5", "streamingOutputs with d_model 5") { () throws(ShapeError) in
            _ = try p.streamingOutputs(wide, transition: a)
        }
        expectShapeError("A", got: "4×4", "streamingOutputs with A of d_model size") { () throws(ShapeError) in
            _ = try p.streamingOutputs(x, transition: .identity(4))
        }
        expectShapeError("A", got: "3×2", "streamingOutputs with a non-square A") { () throws(ShapeError) in
            _ = try p.streamingOutputs(x, transition: Matrix(rows: 3, columns: 2))
        }
    }
}
