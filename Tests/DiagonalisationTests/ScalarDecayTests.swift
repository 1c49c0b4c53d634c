import Diagonalisation
import Matrices
import TestSupport
import Recurrence
import Testing

@Suite("ScalarDecay")
struct ScalarDecayTests {
    typealias C = Complex<Double>

    @Test("Eq. 4 equals the recurrence with A = diag(γe^{iθ})", arguments: DiagonalCase.all)
    func equalsDiagonalRecurrence(c: DiagonalCase) throws {
        var g = c.generator
        let theta = randomSpectrum(c.d, using: &g).theta
        let (q, k, v) = c.inputs(using: &g)
        for gamma in [1, 0.9, 1 - 1.0 / 32, 0.5] {
            let scalar = try DiagonalTransition(gamma: Array(repeating: gamma, count: c.d), theta: theta)
            let recurrent = try LinearRecurrence.outputs(q: q.complex, k: k.complex, v: v.complex, transition: scalar.diagonal())
            let eq4 = try ScalarDecay.outputs(q: q, k: k, v: v, gamma: gamma, theta: theta)
            expectClose(eq4, recurrent, relative: sameSumTolerance, "Eq. 4 vs recurrence with diag(γe^{iθ}), γ = \(gamma), \(c.testDescription)")
        }
    }

    @Test("with γ = 1 and θ = 0 Eq. 4 is causal linear attention, with zero imaginary part")
    func reducesToLinearAttention() throws {
        let c = DiagonalCase(n: 6, d: 4, dv: 2)
        var g = c.generator
        let (q, k, v) = c.inputs(using: &g)
        let eq4 = try ScalarDecay.outputs(q: q, k: k, v: v, gamma: 1, theta: [0, 0, 0, 0])
        let linear = try CausalAttention.linear(q: q, k: k, v: v)
        expectClose(eq4.real, linear, relative: sameSumTolerance, "Re Eq. 4 vs (QKᵀ ⊙ M)V")
        // e^{i·0} = 1 + 0i exactly, so every imaginary part is an exact zero.
        #expect(eq4.storage.allSatisfy { $0.imaginary == 0 }, "imaginary parts: \(eq4.storage.map(\.imaginary))")
    }

    @Test("complex Q, K: Eq. 4 conjugates the keys, so it is the recurrence on conj(K)", arguments: DiagonalCase.all)
    func complexOverload(c: DiagonalCase) throws {
        var g = c.generator
        let theta = randomSpectrum(c.d, using: &g).theta
        let q = Matrix<C>.gaussian(rows: c.n, columns: c.d, scale: 1 / Double(c.d).squareRoot(), using: &g)
        let k = Matrix<C>.gaussian(rows: c.n, columns: c.d, scale: 1 / Double(c.d).squareRoot(), using: &g)
        let v = Matrix<C>.gaussian(rows: c.n, columns: c.dv, using: &g)
        let gamma = 0.9
        let scalar = try DiagonalTransition(gamma: Array(repeating: gamma, count: c.d), theta: theta)
        // (K_m e^{imθ})† = conj(K_m) e^{−imθ}: the recurrence's K_mᵀ must be conj(K_m)ᵀ.
        let recurrent = try LinearRecurrence.outputs(q: q, k: k.map(\.conjugate), v: v, transition: scalar.diagonal())
        let eq4 = try ScalarDecay.outputs(q: q, k: k, v: v, gamma: gamma, theta: theta)
        expectClose(eq4, recurrent, relative: sameSumTolerance, "complex Eq. 4 vs recurrence on conj(K), \(c.testDescription)")
        // For real inputs the two overloads are the same computation.
        let (rq, rk, rv) = c.inputs(using: &g)
        #expect(try ScalarDecay.outputs(q: rq, k: rk, v: rv, gamma: gamma, theta: theta)
            == ScalarDecay.outputs(q: rq.complex, k: rk.complex, v: rv.complex, gamma: gamma, theta: theta))
    }

    @Test("real pairs read as complex numbers: Re of Eq. 4 = Σ γ^{n−m} rot(Q_n)·rot(K_m) v_m")
    func realPairsAsComplex() throws {
        let n = 7, d = 6, dv = 2, gamma = 1 - 1.0 / 32
        var g = SplitMix64(seed: 64)
        let q = Matrix<Double>.gaussian(rows: n, columns: d, using: &g)
        let k = Matrix<Double>.gaussian(rows: n, columns: d, using: &g)
        let v = Matrix<Double>.gaussian(rows: n, columns: dv, using: &g)
        let theta = PairRotation.torchscaleAngles(pairs: d / 2)
        let eq4 = try ScalarDecay.outputs(q: PairRotation.complexPairs(q), k: PairRotation.complexPairs(k), v: v.complex,
                                          gamma: gamma, theta: theta)
        let scores = try PairRotation.rotate(q, theta: theta) * PairRotation.rotate(k, theta: theta).transposed
        let expected = Matrix<Double>(rows: n, columns: dv) { row, c in
            (0...row).reduce(0) { $0 + Double.pow(gamma, Double(row - $1)) * scores[row, $1] * v[$1, c] }
        }
        expectClose(eq4.real, expected, relative: sameSumTolerance, "Re Eq. 4 on complex pairs vs real rotated scores")
    }

    @Test("rotate multiplies row n, column j by e^{inθ_j}")
    func rotate() throws {
        var g = SplitMix64(seed: 61)
        let x = Matrix<Double>.gaussian(rows: 5, columns: 3, using: &g)
        let theta = [0.3, -1.1, 2.5]
        let r = try ScalarDecay.rotate(x, theta: theta)
        // Row 0 is not rotated: x·(cos 0 + i sin 0) = x + 0i exactly.
        #expect(r.row(0) == x.row(0).complex)
        for n in 0..<5 {
            for j in 0..<3 {
                let expected = C(x[n, j] * Double.cos(Double(n) * theta[j]), x[n, j] * Double.sin(Double(n) * theta[j]))
                // One rounding in cos/sin, one in the product: ≤ 2 ulps of |x|.
                #expect((r[n, j] - expected).length <= 4 * Double.ulpOfOne * abs(x[n, j]),
                        "rotate[\(n), \(j)] = \(r[n, j]), expected \(expected)")
            }
        }
    }

    @Test("bad shapes throw ShapeError naming K, V or θ")
    func badShapes() {
        let q = Matrix<Double>(rows: 3, columns: 2), v = Matrix<Double>(rows: 3, columns: 1)
        expectShapeError("K", got: "3×3", "K wider than Q") { () throws(ShapeError) in
            _ = try ScalarDecay.outputs(q: q, k: Matrix(rows: 3, columns: 3), v: v, gamma: 0.9, theta: [0, 0])
        }
        expectShapeError("V", got: "2×1", "V short a row") { () throws(ShapeError) in
            _ = try ScalarDecay.outputs(q: q, k: q, v: Matrix(rows: 2, columns: 1), gamma: 0.9, theta: [0, 0])
        }
        // A wrong angle count is reported against θ, as PairRotation.rotate does.
        expectShapeError("θ", got: "3", "three angles for two columns") { () throws(ShapeError) in
            _ = try ScalarDecay.outputs(q: q, k: q, v: v, gamma: 0.9, theta: [0, 0, 0])
        }
        expectShapeError("K", got: "2×2", "complex overload: K short a row") { () throws(ShapeError) in
            _ = try ScalarDecay.outputs(q: q.complex, k: Matrix(rows: 2, columns: 2), v: v.complex, gamma: 0.9, theta: [0, 0])
        }
        expectShapeError("θ", got: "1", "rotate with one angle for two columns") { () throws(ShapeError) in
            _ = try ScalarDecay.rotate(q, theta: [1])
        }
    }
}
