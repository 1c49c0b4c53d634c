/// The thread counts the package's threaded code accepts (its kernels, fast models, gradient
/// sources and the `--threads` of its command lines): 1 to `maximum`.
///
/// The bound is fixed, not a multiple of this machine's processors, so that a setting accepted on
/// one machine is accepted on every other. A count above the processor count is no error: the
/// work is split into that many bands, shared between at most one thread per processor, and the
/// results are bit for bit those of one thread. 256 is far above any processor count this code
/// runs on, and below it a band is never too small to be worth handing out.
public enum ThreadCount {
    /// The largest thread count accepted.
    public static let maximum = 256

    /// Whether `threads` is an accepted thread count, 1...`maximum`.
    public static func accepts(_ threads: Int) -> Bool { (1...maximum).contains(threads) }

    /// What `threads` fails to be, in the words of an error's "expected" part ("a thread count
    /// ≥ 1" or "a thread count ≤ 256"), or nil when it is accepted.
    public static func expectation(unmetBy threads: Int) -> String? {
        if threads < 1 { return "a thread count ≥ 1" }
        if threads > maximum { return "a thread count ≤ \(maximum)" }
        return nil
    }
}
