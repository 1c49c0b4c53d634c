import Synchronization

/// Items (C's row tiles, a layer's heads) in groups, handed out one group at a time to whichever
/// thread asks: about eight groups per thread, each of at least `minimumSize` items (and at least
/// one) but never more than a thread's even share, so that every thread has a group. Where
/// `Bands` gives each thread one fixed band, a thread that is slower — an extra item, a core
/// shared with other work — here delays the region by a group, not by the difference between
/// two bands. Which thread takes a group never changes what is computed for its items.
///
/// The counter only numbers the groups: the data a group reads were written before the region
/// started, and what it writes is read after the region ends, both ordered by the region itself
/// (`HelperThreads`), so a relaxed increment is enough on any machine — each group goes to
/// exactly one thread.
package final class ItemGroups: Sendable {
    private let counter = Atomic<Int>(0)
    private let items: Int, size: Int

    package init(items: Int, threads: Int, minimumSize: Int = 1) {
        self.items = items
        let share = (items + threads - 1) / Swift.max(1, threads)
        size = Swift.min(share, Swift.max(1, minimumSize, items / (8 * Swift.max(1, threads))))
    }

    /// Runs `body(group, worker)` on groups of 0..<items on up to `threads` threads, each group to
    /// whichever thread asks next; `worker` (0 ..< min(threads, items)) names the thread's part of
    /// the region, for per-thread scratch. With one thread or one item, on the calling thread.
    package static func share(_ items: Int, threads: Int, minimumSize: Int = 1,
                              _ body: (_ group: Range<Int>, _ worker: Int) -> Void) {
        let workers = Swift.min(threads, items)
        guard workers > 1 else {
            if items > 0 { body(0..<items, 0) }
            return
        }
        let groups = ItemGroups(items: items, threads: workers, minimumSize: minimumSize)
        Bands.run(workers, threads: workers) { band in
            for worker in band {
                while let group = groups.next() { body(group, worker) }
            }
        }
    }

    /// The items of the next group, or nil when all have been handed out.
    package func next() -> Range<Int>? {
        let group = counter.wrappingAdd(1, ordering: .relaxed).oldValue
        let first = group &* size
        guard first < items else { return nil }
        return first..<Swift.min(first &+ size, items)
    }
}
