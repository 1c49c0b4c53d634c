import Synchronization

/// C's row tiles in groups, handed out one group at a time to whichever thread asks: about eight
/// groups per thread, each of at least `minimumSize` tiles (and at least one) but never more than
/// a thread's even share, so that every thread has a group. The counter only numbers the groups: the data a
/// group reads were written before the region started, and what it writes is read after the
/// region ends, both ordered by the region itself (`HelperThreads`), so a relaxed increment is
/// enough on any machine — each group goes to exactly one thread.
final class RowGroups: Sendable {
    private let counter = Atomic<Int>(0)
    private let tiles: Int, size: Int

    init(tiles: Int, threads: Int, minimumSize: Int = 1) {
        self.tiles = tiles
        let share = (tiles + threads - 1) / threads
        size = Swift.min(share, Swift.max(1, minimumSize, tiles / (8 * threads)))
    }

    /// The tiles of the next group, or nil when all have been handed out.
    func next() -> Range<Int>? {
        let group = counter.wrappingAdd(1, ordering: .relaxed).oldValue
        let first = group &* size
        guard first < tiles else { return nil }
        return first..<Swift.min(first &+ size, tiles)
    }
}
