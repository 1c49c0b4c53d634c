/// Wall-clock timing for benchmarks: the median of repeated runs, which one slow run (another
/// process, a page fault) cannot move much. Benchmarks only mean something in release builds.
public enum Stopwatch {
    /// The seconds `body` takes, by the monotonic clock.
    public static func seconds<Failure: Error>(_ body: () throws(Failure) -> Void) throws(Failure) -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        let elapsed = clock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    /// The median time of `body` over at least `repetitions` runs, continuing until `budget`
    /// seconds have been spent or `maximum` runs made (at least one run always happens).
    public static func median<Failure: Error>(repetitions: Int = 5, budget: Double = 0.2, maximum: Int = 50,
                                              _ body: () throws(Failure) -> Void) throws(Failure) -> Double {
        var times: [Double] = []
        var spent = 0.0
        while times.isEmpty || (times.count < repetitions || spent < budget) && times.count < maximum {
            let t = try seconds(body)
            times.append(t)
            spent += t
        }
        return median(of: times)
    }

    /// The median of `values`: the middle one of an odd count, the mean of the two middle ones
    /// of an even count. `values` must not be empty (a timing always has at least one run).
    public static func median(of values: [Double]) -> Double {
        precondition(!values.isEmpty, "the median of no values")
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
