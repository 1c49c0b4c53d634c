/// Conversions from 16-bit floats, written out so they behave the same on every platform
/// (Swift's `Float16` is not available on every architecture).
enum HalfPrecision {
    /// IEEE 754 binary16 (1 sign, 5 exponent, 10 fraction bits) to Float, exactly.
    static func float(fromF16 bits: UInt16) -> Float {
        let sign: UInt32 = UInt32(bits >> 15) << 31
        let exponent = Int((bits >> 10) & 0x1F)
        let fraction = UInt32(bits & 0x3FF)
        switch exponent {
        case 0:
            // Zero or subnormal: fraction · 2⁻²⁴, exact in Float.
            let magnitude = Float(fraction) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            // Infinity or NaN (the payload is kept in the top fraction bits).
            return Float(bitPattern: sign | 0x7F80_0000 | (fraction << 13))
        default:
            // Rebias the exponent from 15 to 127.
            return Float(bitPattern: sign | (UInt32(exponent - 15 + 127) << 23) | (fraction << 13))
        }
    }

    /// bfloat16 (the top half of a Float32) to Float, exactly.
    static func float(fromBF16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}
