import RealModule
import ComplexModule

extension Matrix where Element: RealScalar {
    /// Entries drawn i.i.d. from N(0, scale²), in Double then rounded to `Element`, so a Float
    /// and a Double matrix made from the same seed hold the same numbers up to rounding.
    public static func gaussian(rows: Int, columns: Int, scale: Double = 1,
                                using generator: inout SplitMix64) -> Matrix {
        Matrix(rows: rows, columns: columns) { _, _ in Element(scale * generator.nextGaussian()) }
    }
}

extension Matrix where Element == Complex<Double> {
    /// Entries with independent N(0, scale²) real and imaginary parts.
    public static func gaussian(rows: Int, columns: Int, scale: Double = 1,
                                using generator: inout SplitMix64) -> Matrix {
        Matrix(rows: rows, columns: columns) { _, _ in
            Complex(scale * generator.nextGaussian(), scale * generator.nextGaussian())
        }
    }
}
