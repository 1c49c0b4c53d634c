import Matrices
import Testing

/// Every notebook page is made of these strings, so they are compared exactly.
@Suite("Format")
struct FormatTests {
    @Test("fixed: ordinary values, padding and the default of 4 digits", arguments: [
        (-0.0312, 3, "-0.031"),
        (3.14159, 2, "3.14"),
        (1, 4, "1.0000"),
        (0.001, 4, "0.0010"),        // leading zeros of the fraction are kept
        (1.000001, 6, "1.000001"),
        (-2.5, 1, "-2.5"),
        (42, 0, "42"),               // no point at 0 digits
        (0.75, 0, "1"),
        (0.1, 15, "0.100000000000000"),  // 15 digits: 0.1·10¹⁵ rounds to exactly 10¹⁴
    ] as [(Double, Int, String)])
    func fixedValues(x: Double, digits: Int, expected: String) {
        #expect(Format.fixed(x, digits) == expected, "fixed(\(x), \(digits))")
    }

    @Test("fixed: default digits is 4")
    func fixedDefault() {
        #expect(Format.fixed(2) == "2.0000")
        #expect(Format.scientific(2) == "2.0e+00", "scientific's default is 1 digit")
    }

    @Test("fixed: negative zero and negatives that round to zero print without a sign")
    func fixedNegativeZero() {
        #expect(Format.fixed(-0.0, 4) == "0.0000")
        #expect(Format.fixed(-0.00004, 4) == "0.0000")
        #expect(Format.fixed(-0.4, 0) == "0")
        #expect(Format.fixed(-0.00006, 4) == "-0.0001", "rounds away from zero: keeps its sign")
    }

    @Test("fixed: rounding carries into the integer part")
    func fixedCarry() {
        #expect(Format.fixed(9.99996, 4) == "10.0000")
        #expect(Format.fixed(-9.99996, 4) == "-10.0000")
        #expect(Format.fixed(0.99999, 3) == "1.000")
        #expect(Format.fixed(99.96, 1) == "100.0")
    }

    @Test("fixed: exact binary ties round to even")
    func fixedTiesToEven() {
        // 0.5, 1.5, 2.5 and 0.125 are exact in binary, so these are true ties.
        #expect(Format.fixed(0.5, 0) == "0")
        #expect(Format.fixed(1.5, 0) == "2")
        #expect(Format.fixed(2.5, 0) == "2")
        #expect(Format.fixed(0.125, 2) == "0.12")
        #expect(Format.fixed(0.375, 2) == "0.38")
    }

    @Test("fixed: nan and infinities")
    func fixedNonFinite() {
        #expect(Format.fixed(.nan, 4) == "nan")
        #expect(Format.fixed(-.nan, 2) == "nan")
        #expect(Format.fixed(.infinity, 4) == "inf")
        #expect(Format.fixed(-.infinity, 4) == "-inf")
    }

    @Test("fixed: large numbers stay exact below 9e15 scaled units, then switch to scientific")
    func fixedLarge() {
        #expect(Format.fixed(123_456_789_012.345_67, 4) == "123456789012.3457")
        #expect(Format.fixed(890_000_000_000, 4) == "890000000000.0000")
        #expect(Format.fixed(-4_503_599_627_370_496, 0) == "-4503599627370496")  // 2⁵²
        #expect(Format.fixed(1e20, 4) == "1.0000e+20")
        #expect(Format.fixed(-1e20, 2) == "-1.00e+20")
        #expect(Format.fixed(910_000_000_000, 4) == "9.1000e+11", "9.1e15 scaled units is past the exact range")
        #expect(Format.fixed(.greatestFiniteMagnitude, 3) == "1.798e+308")
    }

    @Test("scientific: mantissa, sign and two-or-more-digit exponent", arguments: [
        (3.1e-16, 1, "3.1e-16"),
        (1, 1, "1.0e+00"),
        (12_345, 2, "1.23e+04"),
        (-0.000_123_46, 3, "-1.235e-04"),
        (1e-5, 1, "1.0e-05"),
        (1e100, 2, "1.00e+100"),
        (6.02214076e23, 3, "6.022e+23"),
        (0.1, 0, "1e-01"),
        (Double.greatestFiniteMagnitude, 3, "1.798e+308"),
        (Double.leastNormalMagnitude, 3, "2.225e-308"),
    ] as [(Double, Int, String)])
    func scientificValues(x: Double, digits: Int, expected: String) {
        #expect(Format.scientific(x, digits) == expected, "scientific(\(x), \(digits))")
    }

    @Test("scientific: zero, negative zero, nan and infinities")
    func scientificSpecial() {
        #expect(Format.scientific(0, 1) == "0.0e+00")
        #expect(Format.scientific(-0.0, 2) == "0.00e+00")
        #expect(Format.scientific(.nan) == "nan")
        #expect(Format.scientific(.infinity) == "inf")
        #expect(Format.scientific(-.infinity) == "-inf")
    }

    @Test("scientific: a mantissa that rounds up to 10 renormalises to 1.0 with the next exponent")
    func scientificCarry() {
        #expect(Format.scientific(9.99996, 4) == "1.0000e+01")
        #expect(Format.scientific(0.999996, 4) == "1.0000e+00")
        #expect(Format.scientific(-9.96, 1) == "-1.0e+01")
        // log10(≈1e23) rounds to exactly 23 though the value is just below 10²³.
        #expect(Format.scientific(99_999_999_999_999_991_611_392, 4) == "1.0000e+23")
    }

    @Test("scientific: subnormal numbers")
    func scientificSubnormal() {
        // 10^−324 underflows to 0, so the mantissa is scaled via 1e300 first.
        #expect(Format.scientific(Double.leastNonzeroMagnitude, 2) == "4.94e-324")
        // Subnormals above 1e-323 still work: 2⁻¹⁰³⁰ = 8.6916…e-311.
        #expect(Format.scientific(0x1p-1030, 1) == "8.7e-311")
    }

    @Test("complex: a+bi with the sign of the imaginary part", arguments: [
        (Complex(1, 2), 4, "1.0000+2.0000i"),
        (Complex(-1.5, -0.25), 2, "-1.50-0.25i"),
        (Complex(0, 1), 1, "0.0+1.0i"),
        (Complex(-0.0, -0.0), 4, "0.0000+0.0000i"),
        (Complex(0.5, -0.000_01), 4, "0.5000+0.0000i"),  // imaginary rounds to zero: no "-0.0000i"
        (Complex(0.5, -0.000_06), 4, "0.5000-0.0001i"),
        (Complex(9.99996, -9.99996), 4, "10.0000-10.0000i"),
    ] as [(Complex<Double>, Int, String)])
    func complexValues(z: Complex<Double>, digits: Int, expected: String) {
        #expect(Format.complex(z, digits) == expected, "complex(\(z), \(digits))")
    }

    @Test("complex: non-finite values print as nan+nani")
    func complexNonFinite() {
        // swift-numerics has a single complex infinity and no NaN payloads: any non-finite value
        // reports NaN real and imaginary parts.
        #expect(Format.complex(Complex(1, .nan)) == "nan+nani")
        #expect(Format.complex(Complex(.infinity, 0)) == "nan+nani")
    }

    @Test("grid right-aligns every cell to the widest one")
    func grid() {
        let lines = Format.grid([["1", "-22"], ["333", "4"]])
        #expect(lines == ["  1  -22", "333    4"])
        #expect(Format.grid([["a", "b"]], separator: "|") == ["a|b"])
        #expect(Format.grid([]) == [])
    }

    @Test("formatted matrices, real and complex")
    func formattedMatrices() {
        let m = Matrix<Double>([[1, -2.5], [10, 0]])
        #expect(m.formatted(digits: 1) == [" 1.0  -2.5", "10.0   0.0"])
        let f = Matrix<Float>([[0.5]])
        #expect(f.formatted(digits: 2) == ["0.50"])
        let z = Matrix<Complex<Double>>([[Complex(1, -1), Complex(0, 0.5)]])
        #expect(z.formatted(digits: 1) == ["1.0-1.0i  0.0+0.5i"])
    }
}

@Suite("Format.grouped")
struct GroupedTests {
    @Test("thousands separators every three digits from the right", arguments: [
        (0, "0"), (7, "7"), (999, "999"), (1_000, "1,000"), (12_345, "12,345"), (6_365_184, "6,365,184"),
        (-1_234_567, "-1,234,567"), (-100, "-100"), (100_000, "100,000"),
        (Int.max, "9,223,372,036,854,775,807"), (Int.min, "-9,223,372,036,854,775,808"),
    ] as [(Int, String)])
    func grouped(value: Int, expected: String) {
        #expect(Format.grouped(value) == expected, "grouped(\(value))")
    }
}

@Suite("Format: bytes and ratios")
struct ByteFormatTests {
    @Test func bytesInBinaryAndDecimalUnitsAndRatios() {
        #expect(Format.binaryBytes(Double(128 << 20)) == "128 MiB")
        #expect(Format.binaryBytes(1_536) == "1.5 KiB")
        #expect(Format.binaryBytes(768 * 1_024) == "768 KiB")
        #expect(Format.binaryBytes(1_000) == "1000 B")
        #expect(Format.binaryBytes(1_100 * 1_024) == "1.07 MiB")
        #expect(Format.decimalBytes(13.4e9) == "13.4 GB")
        #expect(Format.decimalBytes(2.5e6, 2) == "2.50 MB")
        #expect(Format.ratio(3.4) == "3.40×")
    }
}
