import ArgumentParser

/// Checks for the flags the chapters share, each failing with ArgumentParser's
/// `ValidationError` (a clear message and exit status 64) rather than a trap later on.
public enum FlagCheck {
    /// The longest sequence a chapter accepts: chapters print their matrices and run reference
    /// (quadratic, unoptimised) code.
    public static let maximumLength = 2_000
    /// The widest queries, keys and values a chapter accepts.
    public static let maximumWidth = 256

    /// A whole number in `range`: "`flag` must be in a...b (`reason`), got x." otherwise (the
    /// reason, when given, says why the bounds).
    public static func range(_ value: Int, in range: ClosedRange<Int>, flag: String, reason: String = "") throws {
        guard range.contains(value) else {
            throw ValidationError("\(flag) must be in \(range.lowerBound)...\(range.upperBound)\(reason.isEmpty ? "" : " (\(reason))"), got \(value).")
        }
    }

    /// `--length` in `minimum...2000`; `reason` says why the minimum, when it is above 1.
    public static func length(_ n: Int, minimum: Int = 1, reason: String = "") throws {
        guard n >= minimum, n <= maximumLength else {
            throw ValidationError("--length must be in \(minimum)...\(maximumLength)\(reason.isEmpty ? "" : " (\(reason))"), got \(n).")
        }
    }

    /// An even width in 2...256, for complex numbers stored as real pairs (`reason` says so).
    public static func pairedWidth(_ d: Int, flag: String = "--dim", reason: String) throws {
        guard d >= 2, d % 2 == 0, d <= maximumWidth else {
            throw ValidationError("\(flag) must be even (\(reason)) and in 2...\(maximumWidth), got \(d).")
        }
    }

    /// A width in 1...256.
    public static func width(_ d: Int, flag: String = "--value-dim") throws {
        guard d >= 1, d <= maximumWidth else { throw ValidationError("\(flag) must be in 1...\(maximumWidth), got \(d).") }
    }

    /// A decay γ in (0, 1] (NaN is rejected).
    public static func gamma(_ gamma: Double, flag: String = "--gamma") throws {
        guard gamma > 0, gamma <= 1 else { throw ValidationError("\(flag) must be in (0, 1], got \(gamma).") }
    }

    /// The largest chunk size a chapter accepts: longer than any sequence a chapter runs, so
    /// every larger B would give the same chunks (one chunk of the whole sequence).
    public static let maximumChunkSize = 65_536

    /// A chunk size B in 1...65,536.
    public static func chunkSize(_ b: Int, flag: String = "--chunk-size") throws {
        guard b >= 1 else { throw ValidationError("\(flag) must be at least 1, got \(b).") }
        guard b <= maximumChunkSize else {
            throw ValidationError("\(flag) must be at most \(maximumChunkSize) (longer than any sequence a chapter runs), got \(b).")
        }
    }
}
