import Diagonalisation
import Matrices
import TestSupport
import Recurrence
import Testing

// Tolerance for Double comparisons of two evaluations of the same sum through a well-conditioned
// Λ (κ ≲ 12): rounding in the inverse and the products costs ~d·u·κ ≈ 1e-14 relative; 1e-12 keeps
// two orders of margin while any algebraic slip (Λ⁻¹ vs Λ⁻ᵀ, a wrong power) errs at order one.
let sameSumTolerance = 1e-12

@Suite("DiagonalTransition")
struct DiagonalTransitionTests {
    typealias C = Complex<Double>

    @Test("γ and θ must have one entry per dimension")
    func initialiser() throws {
        expectShapeError("θ", got: "2", "3 magnitudes, 2 phases") { () throws(ShapeError) in
            _ = try DiagonalTransition(gamma: [0.9, 0.8, 0.7], theta: [0.1, 0.2])
        }
        let t = try DiagonalTransition(gamma: [0.9, 0.5], theta: [0.25, -2])
        #expect(t.dimension == 2 && t.gamma == [0.9, 0.5] && t.theta == [0.25, -2])
        #expect(try DiagonalTransition(gamma: [], theta: []).dimension == 0)
    }

    @Test("the eigenvalue is γe^{iθ}: modulus γ, argument θ")
    func eigenvalue() throws {
        let t = try DiagonalTransition(gamma: [0.9, 0.5, 1], theta: [0.25, -2, .pi / 2])
        for j in 0..<3 {
            let lambda = t.eigenvalue(j)
            // cos, sin and the product are each within an ulp: a few ulps on |λ| and arg λ.
            #expect(abs(lambda.length - t.gamma[j]) <= 4 * Double.ulpOfOne, "|λ_\(j)| = \(lambda.length), γ = \(t.gamma[j])")
            #expect(abs(lambda.phase - t.theta[j]) <= 4 * Double.ulpOfOne, "arg λ_\(j) = \(lambda.phase), θ = \(t.theta[j])")
        }
        #expect(abs(t.eigenvalue(2).real) <= 1e-16, "e^{iπ/2} = i: real part \(t.eigenvalue(2).real)")
    }

    @Test("eigenvalue(j, power:) = λ_j multiplied by itself p times", arguments: 0...10)
    func powers(p: Int) throws {
        var g = SplitMix64(seed: 31)
        let (gamma, theta) = randomSpectrum(4, using: &g)
        let t = try DiagonalTransition(gamma: gamma, theta: theta)
        for j in 0..<4 {
            var repeated = C.one
            for _ in 0..<p { repeated *= t.eigenvalue(j) }
            let polar = t.eigenvalue(j, power: p)
            // p complex products each err by ≤ √5·u relative, the polar form by a few ulps (and
            // p·θ ≤ 10π rounds at ~3e-15 absolute): ≲ 1e-14 relative. 1e-13 for margin.
            let error = (polar - repeated).length / repeated.length
            #expect(error <= 1e-13, "λ_\(j)^\(p): polar \(polar) vs repeated \(repeated), relative \(error)")
        }
    }

    @Test("power 0 is 1 exactly, power −1 is the reciprocal, large powers underflow to 0 without NaN")
    func powerEdgeCases() throws {
        let t = try DiagonalTransition(gamma: [0.5, 0.9], theta: [1, -3])
        #expect(t.eigenvalue(0, power: 0) == C.one)
        let inverse = t.eigenvalue(1, power: -1) * t.eigenvalue(1)
        #expect((inverse - .one).length <= 1e-15, "λ⁻¹·λ = \(inverse)")
        let tiny = t.eigenvalue(0, power: 2_000)  // 0.5^2000 = 2^-2000 underflows
        #expect(tiny.isFinite && tiny == .zero, "λ^2000 = \(tiny)")
    }

    @Test("diagonal(power:) is diag(λ^p) with exact zeros off the diagonal")
    func diagonalMatrix() throws {
        let t = try DiagonalTransition(gamma: [0.9, 0.5, 0.7], theta: [0.25, -2, 1])
        for p in [0, 1, 3] {
            let d = t.diagonal(power: p)
            #expect(d.shape == Shape(rows: 3, columns: 3))
            for i in 0..<3 {
                for j in 0..<3 {
                    #expect(d[i, j] == (i == j ? t.eigenvalue(i, power: p) : .zero), "diag(λ)^\(p)[\(i), \(j)] = \(d[i, j])")
                }
            }
        }
        #expect(t.diagonal() == t.diagonal(power: 1))
    }

    @Test("transition(eigenvectors:) has eigenvectors Λ and eigenvalues λ: A·Λ = Λ·diag(λ)", arguments: [1, 2, 4, 6])
    func eigenDecomposition(d: Int) throws {
        var g = SplitMix64(seed: 50 + UInt64(d))
        let (gamma, theta) = randomSpectrum(d, using: &g)
        let t = try DiagonalTransition(gamma: gamma, theta: theta)
        let lambda = wellConditioned(d, using: &g)
        let a = try t.transition(eigenvectors: lambda)
        expectClose(a * lambda, lambda * t.diagonal(), relative: sameSumTolerance, "A·Λ vs Λ·diag(λ), d = \(d)")
        // The trace is the sum of the eigenvalues.
        var trace = C.zero, eigenSum = C.zero
        for j in 0..<d {
            trace += a[j, j]
            eigenSum += t.eigenvalue(j)
        }
        #expect((trace - eigenSum).length <= sameSumTolerance * Double(d), "tr A = \(trace), Σλ = \(eigenSum)")
        if d > 1 {
            // Guard against a vacuous pass: with Λ ≠ I the transition is not diagonal.
            let offDiagonal = (0..<d).flatMap { i in (0..<d).filter { $0 != i }.map { a[i, $0].length } }.max()!
            #expect(offDiagonal > 1e-3, "A should have off-diagonal entries, largest is \(offDiagonal)")
        }
    }

    @Test("with Λ = I the transition is diag(λ) itself")
    func identityEigenvectors() throws {
        let t = try DiagonalTransition(gamma: [0.9, 0.6], theta: [0.5, 2])
        // I⁻¹ = I exactly and products with exact 0 and 1 round nothing.
        #expect(try t.transition(eigenvectors: .identity(2)) == t.diagonal())
    }

    @Test("a singular or misshapen Λ throws ShapeError naming Λ")
    func badEigenvectors() throws {
        let t = try DiagonalTransition(gamma: [0.9, 0.6], theta: [0.5, 2])
        expectShapeError("Λ", got: "a singular one", "rank-one Λ") { () throws(ShapeError) in
            _ = try t.transition(eigenvectors: Matrix<C>([[1, 2], [2, 4]]))
        }
        expectShapeError("Λ", got: "2×3", "2×3 Λ") { () throws(ShapeError) in
            _ = try t.transition(eigenvectors: Matrix<C>(rows: 2, columns: 3))
        }
        expectShapeError("Λ", got: "3×3", "Λ of another dimension") { () throws(ShapeError) in
            _ = try t.transition(eigenvectors: .identity(3))
        }
    }

    @Test("absorbing Λ: the diagonal sum equals the recurrence with A", arguments: DiagonalCase.all)
    func absorbedEqualsRecurrence(c: DiagonalCase) throws {
        var g = c.generator
        let (gamma, theta) = randomSpectrum(c.d, using: &g)
        let t = try DiagonalTransition(gamma: gamma, theta: theta)
        let lambda = wellConditioned(c.d, using: &g)
        let (q, k, v) = c.inputs(using: &g)
        let a = try t.transition(eigenvectors: lambda)
        let withA = try LinearRecurrence.outputs(q: q.complex, k: k.complex, v: v.complex, transition: a)
        let absorbed = try DiagonalTransition.absorb(lambda, q: q.complex, k: k.complex)
        let diagonal = try t.outputs(q: absorbed.q, k: absorbed.k, v: v.complex)
        expectClose(diagonal, withA, relative: sameSumTolerance, "diagonal sum on absorbed Q, K vs recurrence with A, \(c.testDescription)")
        // Absorbing is Q·Λ and K·Λ⁻ᵀ, i.e. (K Λ⁻ᵀ)·Λᵀ = K.
        #expect(absorbed.q == q.complex * lambda)
        expectClose(absorbed.k * lambda.transposed, k.complex, relative: sameSumTolerance, "K Λ⁻ᵀ Λᵀ vs K")
    }

    @Test("the diagonal sum equals the recurrence with A = diag(λ) when nothing is absorbed", arguments: DiagonalCase.all)
    func diagonalSumEqualsDiagonalRecurrence(c: DiagonalCase) throws {
        var g = c.generator
        let (gamma, theta) = randomSpectrum(c.d, using: &g)
        let t = try DiagonalTransition(gamma: gamma, theta: theta)
        let (q, k, v) = c.inputs(using: &g)
        let (qc, kc) = (q.complex.hadamard(Matrix(rows: c.n, columns: c.d, repeating: C(0.5, 0.5))), k.complex)
        let direct = try t.outputs(q: qc, k: kc, v: v.complex)
        let recurrent = try LinearRecurrence.outputs(q: qc, k: kc, v: v.complex, transition: t.diagonal())
        expectClose(direct, recurrent, relative: sameSumTolerance, "Σ Q diag(λ)^{n−m} Kᵀ v vs recurrence, \(c.testDescription)")
    }

    @Test("absorb and outputs reject bad shapes, naming Λ, Q, K or V")
    func badShapes() throws {
        let t = try DiagonalTransition(gamma: [0.9, 0.6], theta: [0.5, 2])
        let q = Matrix<C>(rows: 3, columns: 2), v = Matrix<C>(rows: 3, columns: 1)
        expectShapeError("Λ", got: "a singular one", "absorb with a singular Λ") { () throws(ShapeError) in
            _ = try DiagonalTransition.absorb(Matrix(rows: 2, columns: 2), q: q, k: q)
        }
        expectShapeError("Q", got: "3×3", "absorb with Q of width 3") { () throws(ShapeError) in
            _ = try DiagonalTransition.absorb(.identity(2), q: Matrix(rows: 3, columns: 3), k: q)
        }
        expectShapeError("K", got: "3×1", "absorb with K of width 1") { () throws(ShapeError) in
            _ = try DiagonalTransition.absorb(.identity(2), q: q, k: Matrix(rows: 3, columns: 1))
        }
        expectShapeError("Q", got: "3×4", "outputs with Q of width 4") { () throws(ShapeError) in
            _ = try t.outputs(q: Matrix(rows: 3, columns: 4), k: q, v: v)
        }
        expectShapeError("K", got: "2×2", "outputs with K short a row") { () throws(ShapeError) in
            _ = try t.outputs(q: q, k: Matrix(rows: 2, columns: 2), v: v)
        }
        expectShapeError("V", got: "4×1", "outputs with V a row too long") { () throws(ShapeError) in
            _ = try t.outputs(q: q, k: q, v: Matrix(rows: 4, columns: 1))
        }
    }

    @Test("absorb with a non-square Λ throws ShapeError instead of trapping")
    func absorbNonSquare() {
        let lambda = Matrix<Complex<Double>>(rows: 2, columns: 3)
        let q = Matrix<Complex<Double>>(rows: 1, columns: 2)
        expectShapeError("Λ", got: "2×3", "absorb with a 2×3 Λ") { () throws(ShapeError) in
            _ = try DiagonalTransition.absorb(lambda, q: q, k: q)
        }
    }
}
