import Matrices
import Testing

@Suite("Deviation")
struct DeviationTests {
    @Test("identical matrices deviate by exactly zero")
    func identical() {
        let m = Matrix<Double>([[1, -2], [3, 4]])
        let d = m.deviation(from: m)
        #expect(d.maxAbsolute == 0 && d.maxRelative == 0)
        #expect(d.at == (0, 0))
    }

    @Test("max absolute, relative to the largest expected entry, and where")
    func handExample() {
        let expected = Matrix<Double>([[1, 2], [3, 4]])
        let got = Matrix<Double>([[1.25, 2], [3, 4.5]])
        let d = got.deviation(from: expected)
        // |Δ| = 0.25 at [0, 0] and 0.5 at [1, 1]; the scale is max|expected| = 4.
        #expect(d.maxAbsolute == 0.5)
        #expect(d.maxRelative == 0.125, "0.5 / 4, not 0.5 / 4.5 (got's size) or 0.5 / 1 (the local entry)")
        #expect(d.at == (1, 1), "worst entry at \(d.at)")
        #expect(d.got == "4.500000e+00" && d.expected == "4.000000e+00", "got \(d.got), expected \(d.expected)")
    }

    @Test("the index is (row, column) of a non-square matrix")
    func indexOfNonSquare() {
        // In a 2×3 matrix storage index 3 is row 1, column 0 (3 / 3, 3 % 3), not (1, 1) as 3 / 2, 3 % 2 would give.
        let expected = Matrix<Double>(rows: 2, columns: 3)
        var got = expected
        got[1, 0] = -7
        got[0, 2] = 1
        let d = got.deviation(from: expected)
        #expect(d.at == (1, 0), "worst entry at \(d.at), expected (1, 0)")
        #expect(d.maxAbsolute == 7)
        // 3×2 as well.
        var tall = Matrix<Double>(rows: 3, columns: 2)
        tall[2, 1] = 1
        #expect(tall.deviation(from: Matrix(rows: 3, columns: 2)).at == (2, 1))
    }

    @Test("ties keep the first worst entry")
    func ties() {
        let got = Matrix<Double>([[0, 1], [1, 0]])
        #expect(got.deviation(from: Matrix(rows: 2, columns: 2)).at == (0, 1))
    }

    @Test("NaN in the result counts as an infinite deviation")
    func nanInGot() {
        let expected = Matrix<Double>([[1, 2], [3, 4]])
        let got = Matrix<Double>([[1, 2.5], [.nan, 4]])
        let d = got.deviation(from: expected)
        #expect(d.maxAbsolute == .infinity)
        #expect(d.maxRelative == .infinity)
        #expect(d.at == (1, 0), "the NaN, not the finite 0.5 error, is the worst entry: \(d.at)")
        #expect(d.got == "nan")
    }

    @Test("a NaN anywhere fails any tolerance, even after a larger finite error")
    func nanAfterLargeError() {
        let got = Matrix<Double>([[1e300, .nan]])
        let d = got.deviation(from: Matrix([[0, 0]]))
        #expect(d.at == (0, 1) && d.maxAbsolute == .infinity)
    }

    @Test("an infinite result deviates infinitely")
    func infinityInGot() {
        let d = Matrix<Double>([[.infinity, 0]]).deviation(from: Matrix([[1, 0]]))
        #expect(d.maxAbsolute == .infinity && d.maxRelative == .infinity)
    }

    @Test("NaN in the expected matrix: infinite absolute deviation, relative never within a tolerance")
    func nanInExpected() {
        let d = Matrix<Double>([[1, 2]]).deviation(from: Matrix([[1, .nan]]))
        #expect(d.maxAbsolute == .infinity)
        #expect(d.at == (0, 1))
        // What matters to a check (`measured <= bound`): it must fail.
        #expect(!(d.maxRelative <= 1e300), "maxRelative = \(d.maxRelative) would pass a check")
        // "∞ when a NaN or ∞ is involved" holds for the relative measure too (not ∞/∞ = NaN).
        #expect(d.maxRelative == .infinity, "maxRelative = \(d.maxRelative)")
    }

    @Test("a zero reference: the relative error is huge, not NaN or zero")
    func zeroReference() {
        let d = Matrix<Double>([[1e-300, 0]]).deviation(from: Matrix(rows: 1, columns: 2))
        #expect(d.maxAbsolute == 1e-300)
        // 1e-300 / leastNormalMagnitude (2.2e-308) ≈ 4.5e7
        #expect(d.maxRelative > 1e7 && d.maxRelative.isFinite, "maxRelative = \(d.maxRelative)")
    }

    @Test("Float matrices are measured in Double")
    func floatDeviation() {
        let d = Matrix<Float>([[1, 2]]).deviation(from: Matrix<Float>([[1, 2.5]]))
        #expect(d.maxAbsolute == 0.5 && d.maxRelative == 0.2 && d.at == (0, 1))
    }

    @Test("complex matrices are measured by modulus")
    func complexDeviation() {
        let expected = Matrix<Complex<Double>>([[Complex(1, 1), Complex(0, 2)]])
        let got = Matrix<Complex<Double>>([[Complex(4, 5), Complex(0, 2)]])
        let d = got.deviation(from: expected)
        #expect(d.maxAbsolute == 5, "|(3, 4)| = 5, got \(d.maxAbsolute)")
        #expect(d.maxRelative == 2.5, "scale is max |expected| = |2i| = 2")
        #expect(d.at == (0, 0))
        #expect(d.got == "4.000000+5.000000i")
        let nan = Matrix<Complex<Double>>([[Complex(.nan, 0), Complex(0, 2)]]).deviation(from: expected)
        #expect(nan.maxAbsolute == .infinity)
    }

    @Test("an empty matrix deviates by zero and prints '-'")
    func empty() {
        let d = Matrix<Double>(rows: 0, columns: 3).deviation(from: Matrix(rows: 0, columns: 3))
        #expect(d.maxAbsolute == 0 && d.maxRelative == 0 && d.got == "-" && d.expected == "-")
    }

    @Test("equality compares the measures and the index, not the printed entries")
    func equality() {
        let a = Deviation(maxAbsolute: 1, maxRelative: 0.5, at: (1, 2), got: "x", expected: "y")
        #expect(a == Deviation(maxAbsolute: 1, maxRelative: 0.5, at: (1, 2), got: "other", expected: "text"))
        #expect(a != Deviation(maxAbsolute: 1, maxRelative: 0.5, at: (2, 1), got: "x", expected: "y"))
        #expect(a != Deviation(maxAbsolute: 1, maxRelative: 0.25, at: (1, 2), got: "x", expected: "y"))
    }

    @Test("different shapes trap")
    func shapeMismatchTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = Matrix<Double>(rows: 1, columns: 2).deviation(from: Matrix<Double>(rows: 2, columns: 1))
        }
    }
}

@Suite("ShapeError")
struct ShapeErrorTests {
    @Test("the description names the argument, what was expected and what was given")
    func description() {
        let error = ShapeError(argument: "K", expected: "3 rows", got: "2×4")
        #expect(error.description == "K: expected 3 rows, got 2×4")
        #expect("\(error)" == "K: expected 3 rows, got 2×4")
    }

    @Test("require: a wrong row count is reported against the argument, with the meaning appended")
    func requireRows() {
        let m = Matrix<Double>(rows: 2, columns: 4)
        let error = #expect(throws: ShapeError.self) {
            try ShapeError.require(m, "V", rows: 3, columns: 4, " (one per step)")
        }
        #expect(error == ShapeError(argument: "V", expected: "3 rows (one per step)", got: "2×4"))
    }

    @Test("require: a wrong column count")
    func requireColumns() {
        let error = #expect(throws: ShapeError.self) {
            try ShapeError.require(Matrix<Float>(rows: 2, columns: 4), "X", columns: 5)
        }
        #expect(error?.argument == "X")
        #expect(error?.description == "X: expected 5 columns, got 2×4")
    }

    @Test("require: rows are checked before columns")
    func rowsFirst() {
        let error = #expect(throws: ShapeError.self) {
            try ShapeError.require(Matrix<Double>(rows: 1, columns: 1), "A", rows: 2, columns: 2)
        }
        #expect(error?.expected == "2 rows")
    }

    @Test("require: nil means any, and a matching shape passes")
    func requirePasses() throws {
        let m = Matrix<Double>(rows: 2, columns: 3)
        try ShapeError.require(m, "M")
        try ShapeError.require(m, "M", rows: 2)
        try ShapeError.require(m, "M", columns: 3)
        try ShapeError.require(m, "M", rows: 2, columns: 3)
    }
}

@Suite("Precision conversion")
struct ConversionTests {
    @Test("Double → Float rounds each entry once; Float → Double is exact")
    func conversions() {
        let double = Matrix<Double>([[0.1, -1e-3], [3, 1e39]])
        let float = double.converted(to: Float.self)
        #expect(float.storage == [Float(0.1), Float(-1e-3), 3, .infinity], "1e39 overflows Float to +∞")
        #expect(Double(float[0, 0]) != 0.1, "0.1 is not a Float: the conversion must round")
        // Every Float is a Double: the round trip Float → Double → Float is the identity.
        #expect(float.converted(to: Double.self).converted(to: Float.self) == float)
        // Type inference picks the target from context.
        let inferred: Matrix<Float> = double.converted()
        #expect(inferred == float)
        #expect(Double.name == "Double" && Float.name == "Float")
    }
}
