import Matrices
import TestSupport
import Testing

@Suite("Matrix arithmetic")
struct ArithmeticTests {
    @Test("2×3 · 3×2 against a hand-computed product")
    func handProduct() {
        let a = Matrix<Double>([[1, 2, 3], [4, 5, 6]])
        let b = Matrix<Double>([[7, 8], [9, 10], [11, 12]])
        // [1·7+2·9+3·11, 1·8+2·10+3·12; 4·7+5·9+6·11, 4·8+5·10+6·12]: small integers, exact in Double.
        let expected = Matrix<Double>([[58, 64], [139, 154]])
        #expect(a * b == expected, "A·B = \(a * b), expected \(expected)")
        // The other order is 3×3, and different: the product is not commutative.
        #expect((b * a) == Matrix([[39, 54, 69], [49, 68, 87], [59, 82, 105]]))
        // Same numbers in Float and Complex.
        #expect(a.converted(to: Float.self) * b.converted(to: Float.self) == expected.converted(to: Float.self))
        #expect(a.complex * b.complex == expected.complex)
    }

    @Test("a complex product uses complex multiplication")
    func complexProduct() {
        let i = Complex<Double>.i
        let a = Matrix<Complex<Double>>([[1, i]])
        let b = Matrix<Complex<Double>>([[i], [i]])
        // 1·i + i·i = i − 1
        #expect(a * b == Matrix([[Complex(-1, 1)]]))
    }

    @Test("a zero inner dimension gives the zero matrix")
    func emptyInnerDimension() {
        let product = Matrix<Double>(rows: 2, columns: 0) * Matrix<Double>(rows: 0, columns: 3)
        #expect(product == Matrix(rows: 2, columns: 3))
    }

    @Test("identity is neutral for the product", arguments: [1, 2, 5])
    func identityNeutral(n: Int) {
        var generator = SplitMix64(seed: UInt64(n))
        let a = Matrix<Double>.gaussian(rows: n, columns: n + 1, using: &generator)
        // Products with exact zeros and ones round nothing: exact equality.
        #expect(Matrix<Double>.identity(n) * a == a)
        #expect(a * Matrix<Double>.identity(n + 1) == a)
    }

    @Test("(AB)C = A(BC) on random matrices", arguments: [(1, 1, 1, 1), (2, 3, 4, 5), (4, 5, 3, 6), (7, 2, 6, 3)])
    func associativity(shape: (Int, Int, Int, Int)) {
        let (p, q, r, s) = shape
        var generator = SplitMix64(seed: UInt64(100 * p + 10 * q + r))
        let a = Matrix<Double>.gaussian(rows: p, columns: q, using: &generator)
        let b = Matrix<Double>.gaussian(rows: q, columns: r, using: &generator)
        let c = Matrix<Double>.gaussian(rows: r, columns: s, using: &generator)
        let left = (a * b) * c, right = a * (b * c)
        // Each side errs by at most (γ_q + γ_r)|A||B||C| entry-wise (γ_k = k·u/(1−k·u), u = 2⁻⁵³),
        // so both differ by at most 2(q + r)·u·max(|A||B||C|) plus a hair. Allow 4× that.
        let scale = largestEntry(absolute(a) * absolute(b) * absolute(c))
        let bound = 8 * Double(q + r) * doubleUnitRoundoff * scale
        expectClose(left, right, absolute: bound, "(AB)C vs A(BC) for \(p)×\(q)·\(q)×\(r)·\(r)×\(s)")
        // Guard against a vacuous bound: the product itself is of order one.
        #expect(largestEntry(left) > 1e-3)
    }

    /// The product skips the zero entries of its left factor, so a zero there contributes
    /// exactly 0 whatever it meets, where IEEE 754 makes 0 · NaN and 0 · ∞ a NaN. Retention's
    /// parallel form relies on it: in (Q Kᵀ ⊙ D) V the upper triangle of D is masked to exact
    /// zeros, so a NaN or ∞ in a later row of V cannot reach an earlier output row.
    @Test("the product skips zero left entries: 0 · NaN and 0 · ∞ contribute 0, not NaN")
    func zeroLeftEntriesAreSkipped() {
        // Lower triangular, as Q Kᵀ ⊙ D is; row 2 of B is reached only through row 2 of A.
        let a = Matrix<Double>([[2, 0, 0], [1, 3, 0], [4, 0, 6]])
        let b = Matrix<Double>([[1, 2], [3, 4], [.nan, .infinity]])
        #expect((0.0 * Double.nan).isNaN && (0.0 * Double.infinity).isNaN, "IEEE 754: 0 · NaN and 0 · ∞ are NaN")
        let product = a * b
        // [2·1, 2·2; 1·1 + 3·3, 1·2 + 3·4]: small integers, exact, with the zeros skipped.
        #expect(product.rowRange(0..<2) == Matrix([[2, 4], [10, 14]]),
                "rows 0 and 1 of A·B are \(product.rowRange(0..<2)), expected [[2, 4], [10, 14]]: a zero of A met B's NaN or ∞")
        // Row 2 does meet them, through the 6: NaN and ∞ propagate as usual.
        #expect(product[2, 0].isNaN && product[2, 1] == .infinity,
                "row 2 of A·B is \(product.row(2)), expected [NaN, +∞]")
        // Negative zero is skipped too, and so is a complex zero; in Float as in Double.
        #expect(Matrix<Double>([[-0.0, 1]]) * Matrix([[.nan], [5]]) == Matrix([[5]]))
        #expect(Matrix<Float>([[0, 1]]) * Matrix([[.infinity], [5]]) == Matrix([[5]]))
        let zero = Matrix<Complex<Double>>([[0, 1]]) * Matrix([[Complex(.nan, .nan)], [Complex(5, 1)]])
        #expect(zero[0, 0].real == 5 && zero[0, 0].imaginary == 1, "complex 0 · NaN + 1 · (5 + i) gave \(zero[0, 0])")
    }

    @Test("the product distributes over +")
    func distributivity() {
        var generator = SplitMix64(seed: 5)
        let a = Matrix<Double>.gaussian(rows: 3, columns: 4, using: &generator)
        let b = Matrix<Double>.gaussian(rows: 4, columns: 2, using: &generator)
        let c = Matrix<Double>.gaussian(rows: 4, columns: 2, using: &generator)
        // |A(B+C) − (AB+AC)| ≤ (γ_4 + 2u)|A|(|B|+|C|) entry-wise, plus one rounding of the sum; 4× margin.
        let scale = largestEntry(absolute(a) * (absolute(b) + absolute(c)))
        expectClose(a * (b + c), a * b + a * c, absolute: 4 * 7 * doubleUnitRoundoff * scale, "A(B+C) vs AB+AC")
    }

    @Test("+, −, += and scaling act entry-wise")
    func entryWise() {
        let a = Matrix<Double>([[1, 2], [3, 4]])
        let b = Matrix<Double>([[0.5, -1], [10, 0]])
        #expect(a + b == Matrix([[1.5, 1], [13, 4]]))
        #expect(a - b == Matrix([[0.5, 3], [-7, 4]]))
        #expect(2.5 * a == Matrix([[2.5, 5], [7.5, 10]]))
        var c = a
        c += b
        #expect(c == a + b)
        #expect(a.sum == 10)
        #expect(Matrix<Double>(rows: 0, columns: 3).sum == 0)
    }

    @Test("hadamard multiplies matching entries, unlike the matrix product")
    func hadamard() {
        let a = Matrix<Double>([[1, 2], [3, 4]])
        let b = Matrix<Double>([[5, 6], [7, 8]])
        #expect(a.hadamard(b) == Matrix([[5, 12], [21, 32]]))
        #expect(a.hadamard(b) != a * b)
        // Non-square shapes work as long as they match.
        let row = Matrix<Double>([[1, -1, 2]])
        #expect(row.hadamard(Matrix([[3, 3, 0.5]])) == Matrix([[3, -3, 1]]))
        // Complex: entry-wise complex multiplication.
        let z = Matrix<Complex<Double>>([[Complex(0, 1), Complex(2, 0)]])
        #expect(z.hadamard(z) == Matrix([[Complex(-1, 0), Complex(4, 0)]]))
    }

    @Test("(AB)ᵀ = BᵀAᵀ exactly: the same products in the same order")
    func transposeOfProduct() {
        var generator = SplitMix64(seed: 8)
        let a = Matrix<Double>.gaussian(rows: 3, columns: 4, using: &generator)
        let b = Matrix<Double>.gaussian(rows: 4, columns: 2, using: &generator)
        let lhs = (a * b).transposed, rhs = b.transposed * a.transposed
        // Both sum a_ip·b_pj over p in increasing order, so they round identically.
        expectClose(lhs, rhs, absolute: 0, "(AB)ᵀ vs BᵀAᵀ")
    }

    @Test("mismatched inner sizes trap")
    func productShapeMismatchTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = Matrix<Double>(rows: 2, columns: 3) * Matrix<Double>(rows: 2, columns: 3)
        }
    }

    @Test("hadamard of different shapes traps")
    func hadamardShapeMismatchTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = Matrix<Double>(rows: 2, columns: 3).hadamard(Matrix<Double>(rows: 3, columns: 2))
        }
    }
}
