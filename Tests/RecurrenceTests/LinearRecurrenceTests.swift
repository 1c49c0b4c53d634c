import Matrices
import TestSupport
@_spi(Chapters) import Recurrence
import Testing

// Tolerance for Double comparisons of two evaluations of the same sum (the recurrence rounds once
// per step, the unrolled sum once per term): both are exact up to rounding, which for these sizes
// (n ≤ 16, d ≤ 6, a contractive A) stays within ~1e-15 of the largest output. 1e-12 leaves three
// orders of margin; any algebraic mistake (a transposed A, an off-by-one power) errs at order 1.
let sameSumTolerance = 1e-12

@Suite("LinearRecurrence")
struct LinearRecurrenceTests {
    @Test("a 2-step scalar example computed by hand")
    func handScalar() throws {
        // d = d_v = 1: o₁ = q₁k₁v₁ = 2·5·11 = 110; o₂ = q₂(a·k₁v₁ + k₂v₂) = 3·(0.5·55 + 7·13) = 355.5.
        let q = Matrix<Double>([[2], [3]]), k = Matrix<Double>([[5], [7]]), v = Matrix<Double>([[11], [13]])
        let a = Matrix<Double>([[0.5]])
        let expected = Matrix<Double>([[110], [355.5]])
        // Small integers and halves: every intermediate is exact, so equality is exact.
        #expect(try LinearRecurrence.outputs(q: q, k: k, v: v, transition: a) == expected)
        #expect(try LinearRecurrence.unrolledOutputs(q: q, k: k, v: v, transition: a) == expected)
    }

    @Test("the state is multiplied by A, not Aᵀ")
    func transitionNotTransposed() throws {
        // A = [[0, 1], [0, 0]] maps e₂ to e₁. Write K₁ = e₂ with v₁ = 3, nothing at step 2, read with
        // Q₂ = e₁: o₂ = e₁ A e₂ᵀ · 3 = 3. With Aᵀ it would be e₁ Aᵀ e₂ᵀ · 3 = 0.
        let q = Matrix<Double>([[1, 0], [1, 0]])
        let k = Matrix<Double>([[0, 1], [0, 0]])
        let v = Matrix<Double>([[3], [5]])
        let a = Matrix<Double>([[0, 1], [0, 0]])
        let expected = Matrix<Double>([[0], [3]])
        #expect(try LinearRecurrence.outputs(q: q, k: k, v: v, transition: a) == expected)
        #expect(try LinearRecurrence.unrolledOutputs(q: q, k: k, v: v, transition: a) == expected)
    }

    @Test("the recurrence equals the unrolled sum", arguments: RecurrenceCase.all)
    func recurrenceEqualsUnrolled(c: RecurrenceCase) throws {
        let (q, k, v, a) = c.inputs()
        let recurrent = try LinearRecurrence.outputs(q: q, k: k, v: v, transition: a)
        let unrolled = try LinearRecurrence.unrolledOutputs(q: q, k: k, v: v, transition: a)
        #expect(recurrent.shape == Shape(rows: c.n, columns: c.dv))
        expectClose(recurrent, unrolled, relative: sameSumTolerance, "recurrence vs unrolled, \(c.testDescription)")
    }

    @Test("lagOffset = 1 breaks the agreement, and equals reading the state through Q·A", arguments: RecurrenceCase.all)
    func lagOffsetOne(c: RecurrenceCase) throws {
        let (q, k, v, a) = c.inputs()
        let recurrent = try LinearRecurrence.outputs(q: q, k: k, v: v, transition: a)
        let shifted = try LinearRecurrence.unrolledOutputs(q: q, k: k, v: v, transition: a, lagOffset: 1)
        let d = shifted.deviation(from: recurrent)
        // With A ≈ 0.5-contractive the extra factor A changes outputs at order one.
        #expect(d.maxRelative > 0.01, "lagOffset 1 should disagree with the recurrence, \(c.testDescription): relative \(d.maxRelative)")
        // Σ Q_n A^{n−m+1} K_mᵀ v_m = (Q_n A) s_n: the recurrence read with queries Q·A.
        let readThroughA = try LinearRecurrence.outputs(q: q * a, k: k, v: v, transition: a)
        expectClose(shifted, readThroughA, relative: sameSumTolerance, "lagOffset 1 vs recurrence with Q·A, \(c.testDescription)")
    }

    @Test("outputs are linear in V")
    func linearInValues() throws {
        let c = RecurrenceCase(n: 6, d: 3, dv: 2)
        let (q, k, v, a) = c.inputs()
        let w = v.map { $0 * $0 - 1 }
        let sum = try LinearRecurrence.outputs(q: q, k: k, v: v + w, transition: a)
        let parts = try LinearRecurrence.outputs(q: q, k: k, v: v, transition: a)
            + LinearRecurrence.outputs(q: q, k: k, v: w, transition: a)
        expectClose(sum, parts, relative: sameSumTolerance, "o(V + W) vs o(V) + o(W)")
    }

    @Test("causal: changing the last step's key and value leaves earlier outputs bit-identical")
    func causal() throws {
        let (q, k, v, a) = RecurrenceCase(n: 6, d: 3, dv: 2).inputs()
        var k2 = k, v2 = v
        k2.setRows(from: 5, to: Matrix([[9, -9, 9]]))
        v2.setRows(from: 5, to: Matrix([[100, -100]]))
        for unrolled in [false, true] {
            func run(_ k: Matrix<Double>, _ v: Matrix<Double>) throws -> Matrix<Double> {
                unrolled ? try LinearRecurrence.unrolledOutputs(q: q, k: k, v: v, transition: a)
                    : try LinearRecurrence.outputs(q: q, k: k, v: v, transition: a)
            }
            let before = try run(k, v), after = try run(k2, v2)
            #expect(after.rowRange(0..<5) == before.rowRange(0..<5), "unrolled: \(unrolled): the future leaked into the past")
            #expect(after.row(5) != before.row(5), "unrolled: \(unrolled): the last output ignored its own step")
        }
    }

    @Test("an empty sequence gives no outputs")
    func emptySequence() throws {
        let q = Matrix<Double>(rows: 0, columns: 2), v = Matrix<Double>(rows: 0, columns: 3)
        let out = try LinearRecurrence.outputs(q: q, k: q, v: v, transition: .identity(2))
        #expect(out.shape == Shape(rows: 0, columns: 3))
        #expect(try LinearRecurrence.unrolledOutputs(q: q, k: q, v: v, transition: .identity(2)).shape == Shape(rows: 0, columns: 3))
    }

    @Test("Float runs the same recurrence to Float precision")
    func floatMatchesDouble() throws {
        let c = RecurrenceCase(n: 10, d: 4, dv: 3)
        let (q, k, v, a) = c.inputs(Float.self)
        let (qd, kd, vd, ad) = c.inputs(Double.self)
        let float = try LinearRecurrence.outputs(q: q, k: k, v: v, transition: a)
        let double = try LinearRecurrence.outputs(q: qd, k: kd, v: vd, transition: ad)
        // Same draws rounded to Float, then ~n·d ≈ 40 Float roundings (ε = 1.2e-7) per output,
        // shrunk by the contraction: a few 1e-6 relative at most. 1e-4 still catches a wrong formula.
        expectClose(float.converted(to: Double.self), double, relative: 1e-4, "Float vs Double recurrence")
    }

    @Test("a complex field works too")
    func complexField() throws {
        let (q, k, v, a) = RecurrenceCase(n: 5, d: 2, dv: 2).inputs()
        let rotation = Matrix<Complex<Double>>(rows: 2, columns: 2) { i, j in i == j ? Complex(length: 0.9, phase: Double(i + 1)) : .zero }
        let tilted = a.complex + rotation
        let recurrent = try LinearRecurrence.outputs(q: q.complex, k: k.complex, v: v.complex, transition: tilted)
        let unrolled = try LinearRecurrence.unrolledOutputs(q: q.complex, k: k.complex, v: v.complex, transition: tilted)
        let d = recurrent.deviation(from: unrolled)
        #expect(d.maxRelative <= sameSumTolerance, "complex recurrence vs unrolled: relative \(d.maxRelative) at \(d.at)")
        #expect(recurrent.storage.contains { $0.imaginary != 0 }, "a complex A must produce complex outputs")
    }

    @Test("bad shapes throw ShapeError naming K, V or A")
    func badShapes() {
        let (q, k, v, a) = RecurrenceCase(n: 4, d: 3, dv: 2).inputs()
        let evaluations: [(String, (Matrix<Double>, Matrix<Double>, Matrix<Double>, Matrix<Double>) throws(ShapeError) -> Void)] = [
            ("outputs", { q, k, v, a throws(ShapeError) in _ = try LinearRecurrence.outputs(q: q, k: k, v: v, transition: a) }),
            ("unrolledOutputs", { q, k, v, a throws(ShapeError) in _ = try LinearRecurrence.unrolledOutputs(q: q, k: k, v: v, transition: a) }),
        ]
        for (name, evaluate) in evaluations {
            expectShapeError("K", got: "3×3", "\(name): K with too few rows") { () throws(ShapeError) in
                try evaluate(q, k.rowRange(0..<3), v, a)
            }
            expectShapeError("K", got: "4×2", "\(name): K narrower than Q") { () throws(ShapeError) in
                try evaluate(q, Matrix(rows: 4, columns: 2), v, a)
            }
            expectShapeError("V", got: "5×2", "\(name): one V row too many") { () throws(ShapeError) in
                try evaluate(q, k, v.stacked(above: v.row(0)), a)
            }
            expectShapeError("A", got: "2×2", "\(name): A smaller than d") { () throws(ShapeError) in
                try evaluate(q, k, v, .identity(2))
            }
            expectShapeError("A", got: "3×4", "\(name): A not square") { () throws(ShapeError) in
                try evaluate(q, k, v, Matrix(rows: 3, columns: 4))
            }
        }
        // The message says what Q is, so the reader can tell which side is wrong.
        do {
            _ = try LinearRecurrence.outputs(q: q, k: k.rowRange(0..<3), v: v, transition: a)
        } catch {
            #expect(error.description.contains("4×3"), "message should mention Q's shape 4×3: \(error)")
        }
    }
}
