import Matrices

/// One axis of a plot: the data range it shows, linear or logarithmic, mapped onto a span of
/// the drawing, with ticks at round values.
public struct Axis: Sendable, Equatable {
    public enum Scale: Sendable, Equatable {
        case linear
        /// Base-10 logarithmic; the range must be positive.
        case logarithmic
    }

    public let label: String
    public let range: ClosedRange<Double>
    public let scale: Scale

    /// Throws `.invalidRange` for an empty range, or a logarithmic one that is not positive.
    public init(_ label: String, range: ClosedRange<Double>, scale: Scale = .linear) throws(PlotError) {
        guard range.lowerBound < range.upperBound, range.lowerBound.isFinite, range.upperBound.isFinite,
              scale == .linear || range.lowerBound > 0
        else { throw .invalidRange(axis: label, lower: range.lowerBound, upper: range.upperBound) }
        self.label = label
        self.range = range
        self.scale = scale
    }

    /// Where `value` falls, from 0 (the range's start) to 1 (its end); outside the range, beyond.
    func fraction(_ value: Double) -> Double {
        switch scale {
        case .linear: (value - range.lowerBound) / (range.upperBound - range.lowerBound)
        case .logarithmic:
            (Double.log10(value) - Double.log10(range.lowerBound))
                / (Double.log10(range.upperBound) - Double.log10(range.lowerBound))
        }
    }

    /// Round values inside the range: 1, 2 or 5 × 10^k steps giving 3–6 intervals (linear), or the
    /// powers of ten (logarithmic).
    var ticks: [Double] {
        switch scale {
        case .logarithmic:
            let first = Int(Double.log10(range.lowerBound).rounded(.up)), last = Int(Double.log10(range.upperBound).rounded(.down))
            return first <= last ? (first...last).map { Double.pow(10, Double($0)) } : [range.lowerBound, range.upperBound]
        case .linear:
            let span = range.upperBound - range.lowerBound
            let magnitude = Double.pow(10, (Double.log10(span / 5)).rounded(.down))
            let mantissa = [1, 2, 5, 10].first { span / (Double($0) * magnitude) <= 6 } ?? 10
            let step = Double(mantissa) * magnitude
            // Multiples k·step, each rounded once (k·mantissa / 10^p for steps below 1, so 0.6 is 0.6).
            let first = Int((range.lowerBound / step - 1e-9).rounded(.up)), last = Int((range.upperBound / step + 1e-9).rounded(.down))
            let inverse = (1 / magnitude).rounded()
            return first <= last
                ? (first...last).map { magnitude < 1 ? Double($0 * mantissa) / inverse : Double($0 * mantissa) * magnitude } : []
        }
    }

    /// A tick's label: integers without decimals, others with the fewest that show the step.
    func tickLabel(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return Format.grouped(Int(value)) }
        for digits in 1...6 {
            let text = Format.fixed(value, digits)
            if Double(text).map({ abs($0 - value) <= abs(value) * 1e-9 }) == true { return text }
        }
        return Format.scientific(value, 2)
    }
}
