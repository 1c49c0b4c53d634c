import Matrices

/// Bad input to a kernel: a size that is not a positive count, a buffer whose length does not
/// match the sizes it is given with, or a thread count outside 1...`ThreadCount.maximum`.
///
/// Every public kernel checks its arguments and throws one of these rather than trapping, and
/// each message names the argument, what was needed and what was given.
public enum KernelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A dimension (m, n, k, …) that is not ≥ 1.
    case size(argument: String, got: Int)
    /// A buffer whose entry count does not match the dimensions it comes with.
    case count(argument: String, expected: String, got: Int)
    /// Dimensions whose product does not fit in an `Int`.
    case tooLarge(String)
    /// A thread count below 1 or above `ThreadCount.maximum`.
    case threads(Int)

    public var description: String {
        switch self {
        case .size(let argument, let got):
            "\(argument) must be ≥ 1, got \(got)"
        case .count(let argument, let expected, let got):
            "\(argument): expected \(expected) entries, got \(got)"
        case .tooLarge(let what):
            "\(what) does not fit in memory (the entry count overflows Int)"
        case .threads(let got) where got < 1:
            "the thread count must be ≥ 1, got \(got)"
        case .threads(let got):
            "the thread count must be ≤ \(ThreadCount.maximum), got \(got)"
        }
    }

    /// Checks that `threads` is an accepted thread count (`ThreadCount`).
    package static func requireThreads(_ threads: Int) throws(KernelError) {
        guard ThreadCount.accepts(threads) else { throw .threads(threads) }
    }

    /// Checks that `value` is a positive size.
    package static func requirePositive(_ value: Int, _ argument: String) throws(KernelError) {
        guard value >= 1 else { throw .size(argument: argument, got: value) }
    }

    /// rows × columns, or `.tooLarge` when the product overflows.
    package static func product(_ rows: Int, _ columns: Int, _ what: String) throws(KernelError) -> Int {
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
        guard !overflow else { throw .tooLarge(what) }
        return count
    }
}
