import Matrices
import TestSupport
import Testing

@Suite("Complex inverse, adjoint and real/complex conversion")
struct InverseTests {
    typealias C = Complex<Double>

    @Test("A·A⁻¹ = I = A⁻¹·A for random well-conditioned A", arguments: [1, 2, 3, 5, 8])
    func inverseOfRandom(n: Int) throws {
        var generator = SplitMix64(seed: 40 + UInt64(n))
        let a = wellConditioned(n, using: &generator)
        let inverse = try #require(a.inverse, "a well-conditioned \(n)×\(n) matrix must be invertible")
        // Gauss–Jordan with partial pivoting is backward stable in practice: the residual
        // ‖A A⁻¹ − I‖ is about n·u·κ(A)·‖A‖‖A⁻¹‖/κ ≈ n·u·κ with κ ≲ 12 here (see `wellConditioned`),
        // i.e. ≲ 8·1.1e-16·12 ≈ 1e-14. Allow 1e-12: a wrong pivot or sign errs at order one.
        expectClose(a * inverse, .identity(n), absolute: 1e-12, "A·A⁻¹ for n = \(n)")
        expectClose(inverse * a, .identity(n), absolute: 1e-12, "A⁻¹·A for n = \(n)")
    }

    @Test("a hand-computed complex 2×2 inverse")
    func handInverse() throws {
        // [[1, i], [0, 2]]⁻¹ = [[1, −i/2], [0, 1/2]] (upper triangular, det 2).
        let a = Matrix<C>([[1, .i], [0, 2]])
        let inverse = try #require(a.inverse)
        // Every step divides by 1 or 2 or multiplies by i: exact in binary floating point.
        expectClose(inverse, Matrix([[1, C(0, -0.5)], [0, C(0.5, 0)]]), absolute: 0, "[[1, i], [0, 2]]⁻¹")
    }

    @Test("partial pivoting: a tiny leading entry does not destroy accuracy")
    func needsPivoting() throws {
        // [[ε, 1], [1, 1]]⁻¹ = 1/(ε−1)·[[1, −1], [−1, ε]] ≈ [[−1, 1], [1, −ε]]. Without row swaps the
        // first pivot ε = 1e-20 makes the (1,1) entry 1 − 1e20 and the answer is wrong at order one.
        let a = Matrix<C>([[C(1e-20, 0), 1], [1, 1]])
        let inverse = try #require(a.inverse)
        // Exact answer within 1e-20 of [[−1, 1], [1, 0]]; with pivoting each entry is a few ulps off.
        expectClose(inverse, Matrix([[-1, 1], [1, 0]]), absolute: 1e-15, "[[1e-20, 1], [1, 1]]⁻¹")
        // A permutation has a zero leading pivot; its inverse is its transpose.
        let swap = Matrix<C>([[0, 1, 0], [0, 0, 1], [1, 0, 0]])
        #expect(swap.inverse == swap.transposed)
    }

    @Test("exactly singular matrices have no inverse")
    func singular() {
        #expect(Matrix<C>(rows: 3, columns: 3).inverse == nil, "the zero matrix")
        #expect(Matrix<C>([[1, 2], [2, 4]]).inverse == nil, "rank one: second row = 2 × first")
        #expect(Matrix<C>([[1, 2, 3], [1, 2, 3], [4, 5, 6]]).inverse == nil, "two equal rows")
        #expect(Matrix<C>([[1, .i], [.i, -1]]).inverse == nil, "complex rank one: row 2 = i × row 1")
    }

    @Test("a matrix singular only to working precision also has no inverse (documented as 'singular to working precision')")
    func numericallySingular() {
        // u vᵀ for random complex u, v has rank one; its rounded entries make the later pivots
        // ~1e-17 rather than exactly 0; the threshold n·ε·max|entry| rejects them.
        var generator = SplitMix64(seed: 7)
        let u = Matrix<C>.gaussian(rows: 3, columns: 1, using: &generator)
        let v = Matrix<C>.gaussian(rows: 1, columns: 3, using: &generator)
        let inverse = (u * v).inverse
        #expect(inverse == nil, "rank-1 3×3 matrix: got an inverse with max entry \(inverse.map { $0.storage.map(\.length).max()! } ?? 0)")
    }

    @Test("inverse of the 0×0 matrix is 0×0")
    func emptyInverse() {
        #expect(Matrix<C>(rows: 0, columns: 0).inverse == Matrix<C>(rows: 0, columns: 0))
    }

    @Test("a non-square matrix has no inverse: it traps")
    func nonSquareTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = Matrix<Complex<Double>>(rows: 2, columns: 3).inverse
        }
    }

    @Test("adjoint is the conjugate transpose")
    func adjoint() {
        let a = Matrix<C>([[C(1, 2), C(3, -4), C(0, 1)], [C(5, 0), C(-6, 7), C(8, 9)]])
        let expected = Matrix<C>([[C(1, -2), C(5, 0)], [C(3, 4), C(-6, -7)], [C(0, -1), C(8, -9)]])
        #expect(a.adjoint == expected)
        #expect(a.adjoint.adjoint == a)
    }

    @Test("(AB)† = B†A†")
    func adjointOfProduct() {
        var generator = SplitMix64(seed: 21)
        let a = Matrix<C>.gaussian(rows: 3, columns: 4, using: &generator)
        let b = Matrix<C>.gaussian(rows: 4, columns: 2, using: &generator)
        // Same products in the same order, conjugated: equal up to the sign of rounding, which
        // conjugation preserves; allow a few ulps of the entries' size (~4 terms of size ~2).
        expectClose((a * b).adjoint, b.adjoint * a.adjoint, absolute: 1e-14, "(AB)† vs B†A†")
    }

    @Test("a real matrix as complex and back is unchanged; the imaginary parts are zero")
    func realComplexRoundTrip() {
        let m = Matrix<Double>([[1.5, -2], [0, 3.25]])
        #expect(m.complex.real == m)
        #expect(m.complex.storage.allSatisfy { $0.imaginary == 0 })
        // `real` drops the imaginary part.
        #expect(Matrix<C>([[C(1, 5), C(-2, -3)]]).real == Matrix([[1, -2]]))
        // Float → Complex<Float>.
        let f = Matrix<Float>([[1, 2]]).complex
        #expect(f[0, 1] == Complex<Float>(2, 0))
    }
}
