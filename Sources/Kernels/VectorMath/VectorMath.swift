/// e^x and erf(x) on 16 Floats at once, for the model's activations (swish and GELU): a libm
/// call per element (`expf`, `erff`) costs more than the rest of the activation, cannot be
/// vectorised, and over a model's n × F hidden values adds up to a visible share of a forward
/// pass. These are branch-free polynomial evaluations in `SIMD16<Float>`.
///
/// Written by hand: swift-numerics' `Float.exp` and `Float.erf` are the scalar libm functions.
/// Accuracy (measured against Double over a dense grid in `VectorMathTests`): `exp` within
/// 2 ulp of e^x; `erf` within 4e-7 absolute (its approximation is within 6.5e-8 in exact
/// arithmetic; evaluating it in Float adds a few ulp of 1 near |x| = 4).
public enum VectorMath {
    public typealias Vector = SIMD16<Float>

    /// e^x (Cephes' `expf`): x = n ln 2 + r with n = round(x / ln 2) and |r| ≤ ln 2 / 2, where
    /// ln 2 is split in two (C₁ + C₂, C₁ exact in 9 bits) so that r = x − n C₁ − n C₂ loses
    /// nothing; e^r by a degree-7 polynomial (Taylor-like coefficients fitted on [−ln2/2, ln2/2]);
    /// then 2^n built from exponent bits in two factors 2^⌊n/2⌋ · 2^(n − ⌊n/2⌋), so that every
    /// n from −150 to 128 (subnormal results, and results up to Float.greatestFiniteMagnitude)
    /// scales correctly. Below −104 the result is 0, above 88.7228 it is +∞, NaN stays NaN.
    @inlinable @inline(__always)
    public static func exp(_ x: Vector) -> Vector {
        // Clamped by masks (compare and blend); NaN compares false and passes through.
        let clamped = x.replacing(with: -104, where: x .< -104).replacing(with: 88.72283, where: x .> 88.72283)
        let n = (clamped * Vector(repeating: 1.44269504088896341)).rounded(.toNearestOrEven)
        var r = clamped.addingProduct(n, Vector(repeating: -0.693359375))
        r = r.addingProduct(n, Vector(repeating: 2.12194440e-4))
        var p = Vector(repeating: 1.9875691500e-4)
        p = Vector(repeating: 1.3981999507e-3).addingProduct(p, r)
        p = Vector(repeating: 8.3334519073e-3).addingProduct(p, r)
        p = Vector(repeating: 4.1665795894e-2).addingProduct(p, r)
        p = Vector(repeating: 1.6666665459e-1).addingProduct(p, r)
        p = Vector(repeating: 5.0000001201e-1).addingProduct(p, r)
        p = (r + 1).addingProduct(p, r * r)
        // n is a whole number in [−150, 128]. Added to 1.5·2²³, it lands in the low bits of the
        // sum's significand: the bit patterns' difference is n as an Int32 (the generic SIMD
        // conversion from Float is a loop of checked scalar conversions).
        let magic = Vector(repeating: 12_582_912)
        let whole = unsafeBitCast(n + magic, to: SIMD16<Int32>.self) &- unsafeBitCast(magic, to: SIMD16<Int32>.self)
        let half = whole &>> 1
        let scale1 = unsafeBitCast((half &+ 127) &<< 23, to: Vector.self)
        let scale2 = unsafeBitCast((whole &- half &+ 127) &<< 23, to: Vector.self)
        var result = p * scale1 * scale2
        result.replace(with: .infinity, where: x .> 88.72283)
        result.replace(with: 0, where: x .< -104)
        return result
    }

    /// erf(x): the odd rational approximation x·P(x²)/Q(x²), P of degree 6 and Q of degree 4 in
    /// x² (the coefficients Eigen and XLA use for Float), on x clamped to [−4, 4], where erf is
    /// within half an ulp of ±1. NaN stays NaN.
    @inlinable @inline(__always)
    public static func erf(_ x: Vector) -> Vector {
        let clamped = x.replacing(with: -4, where: x .< -4).replacing(with: 4, where: x .> 4)
        let x2 = clamped * clamped
        var p = Vector(repeating: -2.72614225801306e-10)
        p = Vector(repeating: 2.77068142495902e-08).addingProduct(p, x2)
        p = Vector(repeating: -2.10102402082508e-06).addingProduct(p, x2)
        p = Vector(repeating: -5.69250639462346e-05).addingProduct(p, x2)
        p = Vector(repeating: -7.34990630326855e-04).addingProduct(p, x2)
        p = Vector(repeating: -2.95459980854025e-03).addingProduct(p, x2)
        p = Vector(repeating: -1.60960333262415e-02).addingProduct(p, x2)
        var q = Vector(repeating: -1.45660718464996e-05)
        q = Vector(repeating: -2.13374055278905e-04).addingProduct(q, x2)
        q = Vector(repeating: -1.68282697438203e-03).addingProduct(q, x2)
        q = Vector(repeating: -7.37332916720468e-03).addingProduct(q, x2)
        q = Vector(repeating: -1.42647390514189e-02).addingProduct(q, x2)
        return clamped * p / q
    }
}
