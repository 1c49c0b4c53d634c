import RealModule
import ComplexModule

/// Fixed-precision text for numbers and matrices, identical on every platform.
///
/// Written by hand on top of integer arithmetic rather than `String(format:)`, so the output
/// (and therefore every notebook page) does not depend on the C library's printf.
public enum Format {
    /// `x` with `digits` digits after the point, e.g. `fixed(-0.0312, 3)` → `-0.031`.
    /// Negative zero prints as `0.000`; NaN and infinities as `nan`, `inf`, `-inf`. Numbers too
    /// large for exact fixed-point digits (|x|·10^digits ≥ 9e15) switch to scientific notation.
    public static func fixed(_ x: Double, _ digits: Int = 4) -> String {
        if let special = nonFinite(x) { return special }
        precondition(digits >= 0 && digits <= 15, "fixed-point digits must be in 0...15, got \(digits)")
        let scale = pow10(digits)
        let scaled = (Swift.abs(x) * scale).rounded(.toNearestOrEven)
        guard scaled < 9.0e15 else { return scientific(x, digits) }
        let units = UInt64(scaled)
        let whole = units / UInt64(scale)
        let frac = units % UInt64(scale)
        let negative = x < 0 && units != 0
        var text = (negative ? "-" : "") + String(whole)
        if digits > 0 {
            let f = String(frac)
            text += "." + String(repeating: "0", count: digits - f.count) + f
        }
        return text
    }

    /// `x` in scientific notation with `digits` digits after the point, e.g. `3.1e-16`.
    public static func scientific(_ x: Double, _ digits: Int = 1) -> String {
        if let special = nonFinite(x) { return special }
        if x == 0 { return fixed(0, digits) + "e+00" }
        var exponent = Int(Double.log10(Swift.abs(x)).rounded(.down))
        // 10^exponent underflows below 1e-308: scale subnormals up by 1e300 first.
        var mantissa = exponent < -300
            ? Swift.abs(x) * 1e300 / Double.pow(10, exponent + 300)
            : Swift.abs(x) / Double.pow(10, exponent)
        // log10 may round across a power of ten; normalise into [1, 10) first …
        if mantissa < 1 { exponent -= 1; mantissa *= 10 }
        if mantissa >= 10 { exponent += 1; mantissa /= 10 }
        // … then let rounding to `digits` carry 9.99… up to 10.0, and renormalise.
        if (mantissa * pow10(digits)).rounded(.toNearestOrEven) >= 10 * pow10(digits) {
            exponent += 1
            mantissa /= 10
        }
        let sign = exponent < 0 ? "-" : "+"
        let e = String(Swift.abs(exponent))
        return (x < 0 ? "-" : "") + fixed(mantissa, digits) + "e" + sign + (e.count < 2 ? "0" + e : e)
    }

    /// An integer with thousands separators, e.g. `grouped(6365184)` → `6,365,184`.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// Bytes in the nearest binary unit with up to two decimals and no trailing zeros, e.g.
    /// `binaryBytes(134_217_728)` → `128 MiB`, `binaryBytes(1_536)` → `1.5 KiB`.
    public static func binaryBytes(_ bytes: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = bytes, unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        var text = fixed(value, 2)
        while text.hasSuffix("0") && text.contains(".") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return "\(text) \(units[unit])"
    }

    /// Bytes in decimal gigabytes, or megabytes below one, with `digits` decimals, e.g.
    /// `decimalBytes(13.4e9)` → `13.4 GB`, `decimalBytes(2.5e6, 2)` → `2.50 MB`.
    public static func decimalBytes(_ bytes: Double, _ digits: Int = 1) -> String {
        bytes >= 1e9 ? fixed(bytes / 1e9, digits) + " GB" : fixed(bytes / 1e6, digits) + " MB"
    }

    /// A ratio with two decimals and a times sign, e.g. `ratio(3.4)` → `3.40×`.
    public static func ratio(_ x: Double) -> String { fixed(x, 2) + "×" }


    public static func complex(_ z: Complex<Double>, _ digits: Int = 4) -> String {
        let magnitude = fixed(Swift.abs(z.imaginary), digits)
        let showsNonZero = magnitude.contains { "123456789".contains($0) }
        return fixed(z.real, digits) + (z.imaginary < 0 && showsNonZero ? "-" : "+") + magnitude + "i"
    }

    /// Right-aligned columns of entries, one line per row, e.g. for printing a small D.
    public static func grid(_ cells: [[String]], separator: String = "  ") -> [String] {
        let width = cells.flatMap { $0 }.map(\.count).max() ?? 0
        return cells.map { row in
            row.map { String(repeating: " ", count: width - $0.count) + $0 }.joined(separator: separator)
        }
    }

    private static func nonFinite(_ x: Double) -> String? {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        return nil
    }

    private static func pow10(_ k: Int) -> Double {
        var p = 1.0
        for _ in 0..<k { p *= 10 }
        return p
    }
}

extension Matrix where Element: RealScalar {
    /// The matrix as aligned lines of fixed-point numbers.
    public func formatted(digits: Int = 4) -> [String] {
        Format.grid((0..<rows).map { i in (0..<columns).map { j in Format.fixed(Double(self[i, j]), digits) } })
    }
}

extension Matrix where Element == Complex<Double> {
    /// The matrix as aligned lines of `a+bi` entries.
    public func formatted(digits: Int = 4) -> [String] {
        Format.grid((0..<rows).map { i in (0..<columns).map { j in Format.complex(self[i, j], digits) } })
    }
}
