import ComplexModule
import RealModule

/// The real scalar types the book computes in: `Double` for references checked tightly,
/// `Float` for what fast kernels actually use.
///
/// `Real` (swift-numerics) gives the elementary functions (`exp`, `log`, `pow`, `cos` …);
/// `BinaryFloatingPoint` gives conversion from `Double` and the IEEE facts (`ulpOfOne`,
/// `greatestFiniteMagnitude`) that tolerances are built from.
public protocol RealScalar: Real, BinaryFloatingPoint, Sendable {
    /// The name printed beside results: "Double" or "Float".
    static var name: String { get }
}

extension Double: RealScalar {
    public static var name: String { "Double" }
}

extension Float: RealScalar {
    public static var name: String { "Float" }
}

#if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
/// Half precision, where the platform has it: to show what a narrow range (largest finite value
/// 65,504) does to sums that normalisation would keep small.
extension Float16: RealScalar {
    public static var name: String { "Float16" }
}
#endif

extension Matrix where Element: RealScalar {
    /// This matrix in another precision (e.g. a Double reference rounded to Float).
    public func converted<Other: RealScalar>(to _: Other.Type = Other.self) -> Matrix<Other> {
        map { Other($0) }
    }

    /// max |entry| (0 for an empty matrix).
    public var maxMagnitude: Element {
        storage.reduce(0) { Swift.max($0, Swift.abs($1)) }
    }

    /// True when no entry is NaN or ±∞.
    public var isFinite: Bool { storage.allSatisfy { $0.isFinite } }
}
