import Diagonalisation
import Matrices
import TestSupport
import Testing

// A pair rotation computes a·cos φ − b·sin φ (and a·sin φ + b·cos φ): two products of entries with
// correctly rounded cos/sin and one sum, ≤ ~3 ulps of max(|a|, |b|). Rotation keeps each pair's
// norm, so max|expected| ≥ max|x|/√2, and two evaluations of the same rotation differ by at most
// ~6√2 u ≈ 1e-15 relative. 4e-15 leaves margin; a wrong sign or angle errs at order one.
let rotationTolerance = 4e-15

@Suite("PairRotation")
struct PairRotationTests {
    typealias C = Complex<Double>

    func random(_ rows: Int, _ columns: Int, seed: UInt64) -> Matrix<Double> {
        var g = SplitMix64(seed: seed)
        return .gaussian(rows: rows, columns: columns, using: &g)
    }

    @Test("rotateEveryTwo maps (x0, x1, x2, x3) to (−x1, x0, −x3, x2), row by row")
    func rotateEveryTwo() throws {
        let x = Matrix<Double>([[1, 2, 3, 4], [-5, 6, 0, -7]])
        #expect(try PairRotation.rotateEveryTwo(x) == Matrix([[-2, 1, -4, 3], [-6, -5, 7, 0]]))
        // A quarter turn twice is a half turn: −x exactly.
        #expect(try PairRotation.rotateEveryTwo(PairRotation.rotateEveryTwo(x)) == x.map { -$0 })
        // It is the rotation by π/2 (multiplication by i): rotate each row alone at position 1.
        // cos(π/2) is 6e-17, not 0, so entries up to 7 differ by ~7·(6e-17 + u) < 7e-15.
        for n in 0..<2 {
            let quarter = try PairRotation.rotate(x.row(n), theta: [.pi / 2, .pi / 2], offset: 1)
            let d = quarter.deviation(from: try PairRotation.rotateEveryTwo(x.row(n)))
            #expect(d.maxAbsolute <= 7e-15, "row \(n): rotation by π/2 vs rotateEveryTwo: |Δ| = \(d.maxAbsolute)")
        }
        #expect(try PairRotation.rotateEveryTwo(Matrix<Float>([[1, 2]])) == Matrix([[-2, 1]]))
    }

    @Test("rotate = multiplying the complex pairs by e^{i(n+offset)θ}", arguments: [0, 3, -2])
    func rotateIsComplexMultiplication(offset: Int) throws {
        let x = random(7, 6, seed: 70)
        let theta = PairRotation.torchscaleAngles(pairs: 3).map { $0 * 1.3 }
        let phases = Matrix<C>(rows: 7, columns: 3) { n, j in C(length: 1, phase: Double(n + offset) * theta[j]) }
        let viaComplex = PairRotation.realPairs(try PairRotation.complexPairs(x).hadamard(phases))
        let rotated = try PairRotation.rotate(x, theta: theta, offset: offset)
        expectClose(rotated, viaComplex, relative: rotationTolerance, "rotate vs complex multiplication, offset \(offset)")
    }

    @Test("rotate = torchscale's theta_shift, x⊙cos + rotate_every_two(x)⊙sin", arguments: [0, 5])
    func rotateIsThetaShift(offset: Int) throws {
        let x = random(9, 8, seed: 71)
        let theta = PairRotation.torchscaleAngles(pairs: 4)
        let rotated = try PairRotation.rotate(x, theta: theta, offset: offset)
        let shifted = try PairRotation.thetaShift(x, theta: theta, offset: offset)
        expectClose(rotated, shifted, relative: rotationTolerance, "rotate vs thetaShift, offset \(offset)")
    }

    @Test("a hand-computed rotation: (1, 0) by nθ and (0, 1) by nθ")
    func handRotation() throws {
        // Row n = 1 rotates by θ; (1, 0) ↦ (cos θ, sin θ) and (0, 1) ↦ (−sin θ, cos θ).
        let x = Matrix<Double>([[1, 0, 0, 1], [1, 0, 0, 1]])
        let r = try PairRotation.rotate(x, theta: [.pi / 6, .pi / 3])
        #expect(r.row(0) == x.row(0), "row 0 is at position 0: no rotation")
        let s3 = 3.0.squareRoot() / 2
        let expected = Matrix<Double>([[s3, 0.5, -s3, 0.5]])
        let d = r.row(1).deviation(from: expected)
        #expect(d.maxAbsolute <= 4 * Double.ulpOfOne, "row 1 = \(r.row(1).storage), expected \(expected.storage)")
    }

    @Test("rotation preserves the norm of every pair")
    func preservesPairNorms() throws {
        let x = random(20, 10, seed: 72)
        let r = try PairRotation.rotate(x, theta: PairRotation.torchscaleAngles(pairs: 5), offset: 100)
        for n in 0..<20 {
            for j in 0..<5 {
                let before = (x[n, 2 * j] * x[n, 2 * j] + x[n, 2 * j + 1] * x[n, 2 * j + 1]).squareRoot()
                let after = (r[n, 2 * j] * r[n, 2 * j] + r[n, 2 * j + 1] * r[n, 2 * j + 1]).squareRoot()
                // cos² + sin² = 1 to ~2 ulps, plus the products: a handful of ulps relative.
                #expect(abs(after - before) <= 8 * Double.ulpOfOne * before, "pair \(j) of row \(n): |·| \(before) → \(after)")
            }
        }
    }

    @Test("offset p rotates rows as rows p… of a longer rotated matrix")
    func offsetSemantics() throws {
        let long = random(12, 4, seed: 73)
        let theta = [0.7, 0.01]
        let full = try PairRotation.rotate(long, theta: theta)
        for p in [0, 1, 5, 11] {
            let tail = try PairRotation.rotate(long.rowRange(p..<12), theta: theta, offset: p)
            // The same angles (n + p)·θ are computed either way: bit-identical.
            #expect(tail == full.rowRange(p..<12), "offset \(p)")
            #expect(try PairRotation.thetaShift(long.rowRange(p..<12), theta: theta, offset: p)
                == PairRotation.thetaShift(long, theta: theta).rowRange(p..<12), "thetaShift offset \(p)")
        }
    }

    @Test("Re[(Q e^{inθ})(K e^{imθ})†] = rot(Q)·rot(K)ᵀ, and it depends only on n − m")
    func scores() throws {
        let q = random(6, 8, seed: 74), k = random(6, 8, seed: 75)
        let theta = PairRotation.torchscaleAngles(pairs: 4)
        let rq = try PairRotation.rotate(q, theta: theta), rk = try PairRotation.rotate(k, theta: theta)
        let complexScores = try PairRotation.complexPairs(rq) * PairRotation.complexPairs(rk).adjoint
        // Each side sums d = 8 products of rotated entries: ~d·u relative to Σ|terms| ≈ max score.
        // 1e-14 as in chapter 02.
        expectClose(complexScores.real, rq * rk.transposed, relative: 1e-14, "Re of complex scores vs real dot products")
        // Shifting both positions by the same p leaves every score unchanged (up to rounding).
        let shiftedQ = try PairRotation.rotate(q, theta: theta, offset: 40)
        let shiftedK = try PairRotation.rotate(k, theta: theta, offset: 40)
        expectClose(shiftedQ * shiftedK.transposed, rq * rk.transposed, relative: 1e-13,
                    "scores after shifting every position by 40")
    }

    @Test("Float rotation agrees with Double to Float precision")
    func floatRotation() throws {
        let x = random(5, 4, seed: 76)
        let theta = [0.9, 0.02]
        let double = try PairRotation.rotate(x, theta: theta)
        let float = try PairRotation.rotate(x.converted(to: Float.self), theta: theta)
        // Float inputs, cos and sin (ε = 1.2e-7) and the arithmetic: a few ε.
        expectClose(float.converted(to: Double.self), double, relative: 1e-6, "Float vs Double rotation")
    }

    @Test("complexPairs and realPairs are inverse")
    func pairsRoundTrip() throws {
        let x = Matrix<Double>([[1, 2, 3, 4]])
        let z = try PairRotation.complexPairs(x)
        #expect(z == Matrix([[C(1, 2), C(3, 4)]]))
        #expect(PairRotation.realPairs(z) == x)
    }

    @Test("torchscale's angles: from 1 down to 1e-4, geometrically")
    func torchscaleAngles() {
        #expect(PairRotation.torchscaleAngles(pairs: 0) == [])
        #expect(PairRotation.torchscaleAngles(pairs: -3) == [])
        #expect(PairRotation.torchscaleAngles(pairs: 1) == [1], "linspace(0, 1, 1) = [0]: θ = 10000⁰ = 1")
        #expect(PairRotation.torchscaleAngles(pairs: 2) == [1, 1e-4])
        let angles = PairRotation.torchscaleAngles(pairs: 8)
        #expect(angles.count == 8)
        #expect(angles.first == 1 && angles.last == 1e-4, "first \(angles.first!), last \(angles.last!)")
        // Consecutive ratios are all 10000^{−1/7}; pow and the division round, so allow a few ulps.
        let ratio = Double.pow(10_000, -1.0 / 7)
        for j in 1..<8 {
            #expect(abs(angles[j] / angles[j - 1] - ratio) <= 8 * Double.ulpOfOne, "θ_\(j)/θ_\(j - 1) = \(angles[j] / angles[j - 1])")
        }
        // torchscale with 8 dims per head (4 pairs): 1 / 10000 ** linspace(0, 1, 4).
        let reference = [1, 0.046_415_888_336_127_79, 0.002_154_434_690_031_884, 1e-4]
        for (got, want) in zip(PairRotation.torchscaleAngles(pairs: 4), reference) {
            #expect(abs(got - want) <= 4 * Double.ulpOfOne * want, "θ = \(got), torchscale \(want)")
        }
    }

    @Test("an odd number of columns throws ShapeError naming X")
    func oddColumns() {
        let odd = Matrix<Double>(rows: 2, columns: 3)
        expectShapeError("X", got: "2×3", "rotateEveryTwo") { () throws(ShapeError) in _ = try PairRotation.rotateEveryTwo(odd) }
        expectShapeError("X", got: "2×3", "rotate") { () throws(ShapeError) in _ = try PairRotation.rotate(odd, theta: [1]) }
        expectShapeError("X", got: "2×3", "thetaShift") { () throws(ShapeError) in _ = try PairRotation.thetaShift(odd, theta: [1, 1]) }
        expectShapeError("X", got: "2×3", "complexPairs") { () throws(ShapeError) in _ = try PairRotation.complexPairs(odd) }
    }

    @Test("rotate with the wrong number of angles throws ShapeError naming θ")
    func wrongAngleCount() {
        let x = Matrix<Double>(rows: 2, columns: 4)
        expectShapeError("θ", got: "1", "one angle for two pairs") { () throws(ShapeError) in
            _ = try PairRotation.rotate(x, theta: [1])
        }
        expectShapeError("θ", got: "4", "one angle per column instead of per pair") { () throws(ShapeError) in
            _ = try PairRotation.rotate(x, theta: [1, 2, 3, 4])
        }
    }

    @Test("thetaShift with the wrong number of angles throws ShapeError naming θ")
    func thetaShiftWrongAngleCount() {
        expectShapeError("θ", got: "4", "thetaShift with one angle per column") { () throws(ShapeError) in
            _ = try PairRotation.thetaShift(Matrix<Double>(rows: 2, columns: 4), theta: [1, 2, 3, 4])
        }
        expectShapeError("θ", got: "1", "thetaShift with too few angles") { () throws(ShapeError) in
            _ = try PairRotation.thetaShift(Matrix<Double>(rows: 2, columns: 4), theta: [1])
        }
    }
}
