/// The element types a safetensors file can declare, by their names in the header.
///
/// This reader converts the floating-point ones to `Float` (F64 is rounded); integer and
/// 8-bit float types are recognised, so the error can name them, but not converted.
public enum DType: String, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"
    case f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f64, .i64: 8
        case .f32, .i32: 4
        case .f16, .bf16, .i16: 2
        case .i8, .u8, .bool, .f8e4m3, .f8e5m2: 1
        }
    }

    /// Whether `Tensor.floats()` can convert this type.
    public var convertsToFloat: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16: true
        default: false
        }
    }

    /// The unit in the last place of `x` in this type: the spacing of its values near x
    /// (subnormals included: below the smallest normal the spacing stays that of the
    /// subnormals). Nil for the types that are not floating point; the 8-bit floats are not
    /// converted, so they have none either.
    public func ulp(of x: Double) -> Double? {
        let (fractionBits, minimumExponent): (Int, Int)
        switch self {
        case .f64: (fractionBits, minimumExponent) = (52, -1022)
        case .f32: (fractionBits, minimumExponent) = (23, -126)
        case .f16: (fractionBits, minimumExponent) = (10, -14)
        case .bf16: (fractionBits, minimumExponent) = (7, -126)
        default: return nil
        }
        let exponent = x == 0 || !x.isFinite ? minimumExponent : Swift.max(Int(x.magnitude.exponent), minimumExponent)
        return Double(sign: .plus, exponent: exponent - fractionBits, significand: 1)
    }
}
