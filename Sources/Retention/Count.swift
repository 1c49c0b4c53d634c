/// A non-negative Int count that remembers whether any step overflowed, so that cost formulas
/// (`RetentionCost`, and the decoding costs built on it) read as written and absurd sizes end in an error rather than a trap.
package struct Count: ExpressibleByIntegerLiteral, Sendable {
    package let value: Int
    package let overflowed: Bool

    package init(_ value: Int, overflowed: Bool = false) {
        self.value = value
        self.overflowed = overflowed
    }

    package init(integerLiteral value: Int) { self.init(value) }

    package static func + (a: Count, b: Count) -> Count {
        let (sum, overflow) = a.value.addingReportingOverflow(b.value)
        return Count(sum, overflowed: a.overflowed || b.overflowed || overflow)
    }

    package static func * (a: Count, b: Count) -> Count {
        let (product, overflow) = a.value.multipliedReportingOverflow(by: b.value)
        return Count(product, overflowed: a.overflowed || b.overflowed || overflow)
    }

    /// Only ever n(n+1)/2, which is exact.
    package static func / (a: Count, b: Int) -> Count { Count(a.value / b, overflowed: a.overflowed) }
}
