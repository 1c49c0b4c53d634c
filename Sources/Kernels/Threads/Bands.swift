/// Splits `count` independent items (tiles of rows, heads, column panels) into `threads` contiguous
/// bands and runs the work on each band on its own thread: the package's `HelperThreads` with the
/// calling thread. Work started inside such a band (a region nested in a region) runs its bands
/// one after the other on the thread that starts it, which is already one of the threads at work:
/// nesting never waits for a thread, however deep.
///
/// Only work is split, never a sum: every item is computed by exactly one thread, in the same
/// order of operations whatever the band it lands in, so results are bit-for-bit the same for
/// any thread count, nested or not. With one thread, or one item, the work runs on the caller's
/// thread. A thread count above the processor count gives that many bands, shared between at
/// most one thread per processor (`HelperThreads.maximumHelpers`).
package enum Bands {
    /// The band of thread `index` of `threads` over `count` items: as even as possible, the first
    /// bands taking one extra item.
    package static func band(_ index: Int, of threads: Int, count: Int) -> Range<Int> {
        let (share, extra) = count.quotientAndRemainder(dividingBy: threads)
        let start = index * share + Swift.min(index, extra)
        return start..<(start + share + (index < extra ? 1 : 0))
    }

    /// Runs `body` over bands of 0..<count on up to `threads` threads. Handing a closure to other
    /// threads allocates (`withoutActuallyEscaping`) once per call with more than one band; a
    /// `BandWork` value does not.
    package static func run(_ count: Int, threads: Int, _ body: (Range<Int>) -> Void) {
        guard Swift.min(threads, count) > 1 else {
            if count > 0 { body(0..<count) }
            return
        }
        withoutActuallyEscaping(body) { body in run(count, threads: threads, ClosureWork(body: body)) }
    }

    /// Runs `work` over bands of 0..<count on up to `threads` threads. Once the helper threads
    /// have started, nothing here allocates. Inside a band of a running region, the same bands
    /// run in order on the calling thread.
    package static func run<Work: BandWork>(_ count: Int, threads: Int, _ work: Work) {
        let workers = Swift.min(threads, count, HelperThreads.maximumParts)
        guard workers > 1 else {
            if count > 0 { work(0..<count) }
            return
        }
        let split = Split(work: work, workers: workers, count: count)
        if HelperThreads.shared.run(workers, split) { return }
        // Started inside a part of the running region, whose threads are all busy: the same
        // bands, in order, on this thread. (Handing them to other threads, such as Dispatch's,
        // would deadlock one level further down, where a part on such a thread would wait for
        // the helpers its own region holds.)
        for index in 0..<workers { split.part(index) }
    }
}

/// Work on a band of items, as a value: a struct holding what the work reads and writes (pointers,
/// sizes, weights) goes to other threads as it is, where a closure would first be converted, at
/// the cost of an allocation. The work of a decoding step takes this form. (`SendableMetatype`:
/// the type itself is named on the threads that run the bands.)
package protocol BandWork: SendableMetatype {
    /// The work on the items of `band`, which no other thread touches meanwhile.
    func callAsFunction(_ band: Range<Int>)
}

/// A closure as `BandWork`, for work that may allocate.
private struct ClosureWork: BandWork {
    let body: (Range<Int>) -> Void
    func callAsFunction(_ band: Range<Int>) { body(band) }
}

/// `work` over `count` items as `workers` parts, part i the items of band i.
private struct Split<Work: BandWork>: ParallelParts {
    let work: Work
    let workers: Int, count: Int
    func part(_ index: Int) { work(Bands.band(index, of: workers, count: count)) }
}
