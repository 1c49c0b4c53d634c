import Dispatch

/// Splits `count` independent items (tiles of rows, heads, column panels) into `threads` contiguous
/// bands and runs `body` on each band on its own thread (`DispatchQueue.concurrentPerform`).
///
/// Only work is split, never a sum: every item is computed by exactly one thread, in the same
/// order of operations whatever the band it lands in, so results are bit-for-bit the same for
/// any thread count. With one thread, or one item, `body` runs on the caller's thread.
package enum Bands {
    /// The band of thread `index` of `threads` over `count` items: as even as possible, the first
    /// bands taking one extra item.
    package static func band(_ index: Int, of threads: Int, count: Int) -> Range<Int> {
        let (share, extra) = count.quotientAndRemainder(dividingBy: threads)
        let start = index * share + Swift.min(index, extra)
        return start..<(start + share + (index < extra ? 1 : 0))
    }

    /// Runs `body` over bands of 0..<count on up to `threads` threads.
    package static func run(_ count: Int, threads: Int, _ body: (Range<Int>) -> Void) {
        let workers = Swift.min(threads, count)
        guard workers > 1 else {
            if count > 0 { body(0..<count) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let shared = SharedBody(body: body)
            DispatchQueue.concurrentPerform(iterations: workers) { index in
                shared.body(band(index, of: workers, count: count))
            }
        }
    }
}

/// The work of one `Bands.run` call, shared by its threads.
///
/// Why it is safe: the closure outlives the `concurrentPerform` call that uses it, and every
/// caller's body writes only the items of its own band (disjoint rows, heads or panels) of
/// buffers that no other code touches until `run` returns. This is the only unchecked
/// `Sendable` in the module.
private struct SharedBody: @unchecked Sendable {
    let body: (Range<Int>) -> Void
}
