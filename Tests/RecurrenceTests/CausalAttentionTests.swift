import Matrices
import TestSupport
import Recurrence
import Testing

@Suite("CausalAttention")
struct CausalAttentionTests {
    @Test("the mask is lower triangular with ones on the diagonal")
    func mask() {
        let m: Matrix<Double> = CausalAttention.mask(3)
        #expect(m == Matrix([[1, 0, 0], [1, 1, 0], [1, 1, 1]]))
        let empty: Matrix<Float> = CausalAttention.mask(0)
        #expect(empty.shape == Shape(rows: 0, columns: 0))
    }

    @Test("linear attention equals the recurrence with A = I", arguments: RecurrenceCase.all)
    func linearIsIdentityRecurrence(c: RecurrenceCase) throws {
        let (q, k, v, _) = c.inputs()
        let linear = try CausalAttention.linear(q: q, k: k, v: v)
        let recurrent = try LinearRecurrence.outputs(q: q, k: k, v: v, transition: .identity(c.d))
        expectClose(linear, recurrent, relative: sameSumTolerance, "(QKᵀ ⊙ M)V vs recurrence with A = I, \(c.testDescription)")
    }

    @Test("linear attention equals Σ_{m≤n} (Q_n·K_m) v_m written out as loops")
    func linearByLoops() throws {
        let (q, k, v, _) = RecurrenceCase(n: 6, d: 3, dv: 2).inputs()
        var expected = Matrix<Double>(rows: 6, columns: 2)
        for n in 0..<6 {
            for m in 0...n {
                var score = 0.0
                for j in 0..<3 { score += q[n, j] * k[m, j] }
                for c in 0..<2 { expected[n, c] += score * v[m, c] }
            }
        }
        expectClose(try CausalAttention.linear(q: q, k: k, v: v), expected, relative: sameSumTolerance, "linear attention vs loops")
    }

    @Test("softmax weights of every row sum to 1: with V = a column of ones every output is 1", arguments: RecurrenceCase.all)
    func softmaxRowsSumToOne(c: RecurrenceCase) throws {
        let (q, k, _, _) = c.inputs()
        // Large scores as well, so the max-subtraction matters.
        for scale in [1.0, 40.0] {
            let ones = Matrix<Double>(rows: c.n, columns: 1, repeating: 1)
            let out = try CausalAttention.softmax(q: scale * q, k: scale * k, v: ones)
            // Σ_m w_nm with w_nm = e_m / Σ e: n divisions and an n-term sum, error ≤ ~2n·u ≈ 4e-15 at n = 16.
            let worst = out.storage.map { abs($0 - 1) }.max() ?? 0
            #expect(worst <= 1e-14, "\(c.testDescription), scores ×\(scale): max |o − 1| = \(worst)")
        }
    }

    @Test("the first softmax output is v₁ exactly", arguments: RecurrenceCase.all)
    func softmaxFirstOutput(c: RecurrenceCase) throws {
        let (q, k, v, _) = c.inputs()
        let out = try CausalAttention.softmax(q: q, k: k, v: v)
        // One token: its weight is e⁰/e⁰ = 1 exactly, and 1·v is exact.
        #expect(out.row(0) == v.row(0), "o₁ = \(out.row(0).storage), v₁ = \(v.row(0).storage)")
    }

    @Test("a 2-token example by hand, including the 1/√d scale")
    func softmaxHandExample() throws {
        // d = 4: Q₂ = (1, 1, 1, 1), K₁ = 0, K₂ = (x, x, x, x) with x = ln(3)/2, so the scaled scores
        // of row 2 are 0 and 4x/√4 = ln 3: weights 1/(1+3) = 1/4 and 3/4. Without the 1/√d the
        // weights would be 1/10 and 9/10.
        let x = Double.log(3) / 2
        let q = Matrix<Double>([[0.5, -1, 2, 0], [1, 1, 1, 1]])
        let k = Matrix<Double>([[0, 0, 0, 0], [x, x, x, x]])
        let v = Matrix<Double>([[4, -8], [8, 0]])
        let out = try CausalAttention.softmax(q: q, k: k, v: v)
        // o₁ = v₁; o₂ = ¼(4, −8) + ¾(8, 0) = (7, −2). exp(ln 3) is within an ulp or two of 3.
        expectClose(out, Matrix([[4, -8], [7, -2]]), relative: 1e-15, "2-token softmax attention")
    }

    @Test("huge scores do not overflow: the row maximum is subtracted")
    func softmaxStable() throws {
        // Scores 900 and 900 (d = 1): exp(900) = ∞ without the shift; equal scores give weights ½, ½.
        let q = Matrix<Double>([[30], [30]]), k = Matrix<Double>([[30], [30]])
        let out = try CausalAttention.softmax(q: q, k: k, v: Matrix([[2], [6]]))
        #expect(out == Matrix([[2], [4]]), "got \(out.storage)")
    }

    @Test("softmax outputs are convex combinations of the values seen so far")
    func softmaxConvex() throws {
        let (q, k, v, _) = RecurrenceCase(n: 12, d: 2, dv: 5).inputs()
        let out = try CausalAttention.softmax(q: q, k: k, v: v)
        for n in 0..<12 {
            for c in 0..<5 {
                let seen = (0...n).map { v[$0, c] }
                // Rounding can step an ulp or so outside; allow 1e-14 of slack.
                #expect(out[n, c] >= seen.min()! - 1e-14 && out[n, c] <= seen.max()! + 1e-14,
                        "o[\(n), \(c)] = \(out[n, c]) outside [\(seen.min()!), \(seen.max()!)]")
            }
        }
    }

    @Test("causal: the future does not change earlier outputs, for either attention")
    func causal() throws {
        let (q, k, v, _) = RecurrenceCase(n: 5, d: 3, dv: 2).inputs()
        var k2 = k, v2 = v
        k2.setRows(from: 4, to: Matrix([[5, 5, -5]]))
        v2.setRows(from: 4, to: Matrix([[50, 50]]))
        let softBefore = try CausalAttention.softmax(q: q, k: k, v: v)
        let softAfter = try CausalAttention.softmax(q: q, k: k2, v: v2)
        #expect(softAfter.rowRange(0..<4) == softBefore.rowRange(0..<4), "softmax: future leaked")
        let linBefore = try CausalAttention.linear(q: q, k: k, v: v)
        let linAfter = try CausalAttention.linear(q: q, k: k2, v: v2)
        // The mask zeroes the future scores exactly (×0), and the product skips nothing else.
        expectClose(linAfter.rowRange(0..<4), linBefore.rowRange(0..<4), relative: 0, "linear: future leaked")
    }

    @Test("Float softmax agrees with Double to Float precision")
    func softmaxFloat() throws {
        let c = RecurrenceCase(n: 8, d: 4, dv: 1)
        let (q, k, v, _) = c.inputs(Float.self)
        let (qd, kd, vd, _) = c.inputs(Double.self)
        let float = try CausalAttention.softmax(q: q, k: k, v: v)
        let double = try CausalAttention.softmax(q: qd, k: kd, v: vd)
        // Inputs rounded to Float (ε = 1.2e-7) plus a few dozen Float operations: ≲ 1e-5 relative.
        expectClose(float.converted(to: Double.self), double, relative: 1e-4, "Float vs Double softmax")
    }

    @Test("bad shapes throw ShapeError naming K or V")
    func badShapes() {
        let (q, k, v, _) = RecurrenceCase(n: 4, d: 3, dv: 2).inputs()
        expectShapeError("K", got: "4×2", "linear: K narrower than Q") { () throws(ShapeError) in
            _ = try CausalAttention.linear(q: q, k: Matrix(rows: 4, columns: 2), v: v)
        }
        expectShapeError("V", got: "3×2", "linear: V short a row") { () throws(ShapeError) in
            _ = try CausalAttention.linear(q: q, k: k, v: v.rowRange(0..<3))
        }
        expectShapeError("K", got: "5×3", "softmax: K longer than Q") { () throws(ShapeError) in
            _ = try CausalAttention.softmax(q: q, k: k.stacked(above: k.row(0)), v: v)
        }
        expectShapeError("V", got: "2×2", "softmax: V short two rows") { () throws(ShapeError) in
            _ = try CausalAttention.softmax(q: q, k: k, v: v.rowRange(0..<2))
        }
    }
}
