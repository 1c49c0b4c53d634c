import RealModule
import ComplexModule

/// How far one matrix is from another: the largest entry-wise difference, where it occurs,
/// and the scale it is measured against. Used by every check in the book.
public struct Deviation: Sendable, Equatable {
    /// max_ij |got_ij − expected_ij| (∞ when a NaN or ∞ is involved).
    public let maxAbsolute: Double
    /// `maxAbsolute / max(max_ij |expected_ij|, tiny)`: the error relative to the size of the answer.
    public let maxRelative: Double
    /// The (row, column) of the largest difference.
    public let at: (row: Int, column: Int)
    /// The entries at `at`, printed for the reader.
    public let got: String
    public let expected: String

    public init(maxAbsolute: Double, maxRelative: Double, at: (row: Int, column: Int), got: String, expected: String) {
        self.maxAbsolute = maxAbsolute
        self.maxRelative = maxRelative
        self.at = at
        self.got = got
        self.expected = expected
    }

    public static func == (a: Deviation, b: Deviation) -> Bool {
        a.maxAbsolute == b.maxAbsolute && a.maxRelative == b.maxRelative && a.at == b.at
    }

    static func measure<E>(_ got: Matrix<E>, _ expected: Matrix<E>, magnitude: (E) -> Double,
                           show: (E) -> String) -> Deviation {
        precondition(got.shape == expected.shape, "deviation needs equal shapes: \(got.shape) vs \(expected.shape)")
        var worst = 0.0, worstIndex = 0, scale = 0.0
        for index in got.storage.indices {
            let diff = magnitude(got.storage[index] - expected.storage[index])
            let size = magnitude(expected.storage[index])
            scale = Swift.max(scale, size.isNaN ? .infinity : size)
            let d = diff.isNaN ? Double.infinity : diff
            if d > worst { worst = d; worstIndex = index }
        }
        let columns = Swift.max(got.columns, 1)
        let relative = worst == 0 ? 0 : worst.isInfinite ? .infinity : worst / Swift.max(scale, Double.leastNormalMagnitude)
        let hasEntries = !got.storage.isEmpty
        return Deviation(
            maxAbsolute: worst, maxRelative: relative,
            at: (worstIndex / columns, worstIndex % columns),
            got: hasEntries ? show(got.storage[worstIndex]) : "-",
            expected: hasEntries ? show(expected.storage[worstIndex]) : "-")
    }
}

extension Matrix where Element: RealScalar {
    /// The deviation of `self` from `expected` (shapes must match).
    public func deviation(from expected: Matrix) -> Deviation {
        Deviation.measure(self, expected, magnitude: { Double(Swift.abs($0)) }, show: { Format.scientific(Double($0), 6) })
    }
}

extension Matrix where Element == Complex<Double> {
    /// The deviation of `self` from `expected`, measuring differences by complex modulus.
    public func deviation(from expected: Matrix) -> Deviation {
        Deviation.measure(self, expected, magnitude: { $0.length }, show: { Format.complex($0, 6) })
    }
}
