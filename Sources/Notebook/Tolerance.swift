import Matrices

/// How close a result must be to its reference for a check to hold.
///
/// Relative tolerances are measured against the largest entry of the reference
/// (max|Δ| / max|expected|), so they mean "digits of agreement" whatever the scale.
public enum Tolerance: Sendable, Equatable {
    /// max |got − expected| ≤ bound.
    case absolute(Double)
    /// max |got − expected| / max |expected| ≤ bound.
    case relative(Double)

    var bound: Double {
        switch self {
        case .absolute(let b), .relative(let b): b
        }
    }

    var measureName: String {
        switch self {
        case .absolute: "max |Δ|"
        case .relative: "max relative error"
        }
    }

    func measured(_ deviation: Deviation) -> Double {
        switch self {
        case .absolute: deviation.maxAbsolute
        case .relative: deviation.maxRelative
        }
    }
}
