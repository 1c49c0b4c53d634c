import Foundation
import Synchronization

/// Threads started once and kept, that split the parts of one parallel region at a time with
/// the thread that asks (`Bands.run`'s work), as OpenMP's pool does, rather than
/// `DispatchQueue.concurrentPerform`, which allocates twice per region (a copy of the block
/// and a continuation): a decoding step runs several regions and otherwise allocates nothing.
///
/// One region has the helpers at a time: a region started on another thread meanwhile waits
/// for them (regions are short: a product, the heads of a layer), so that its thread never
/// allocates either. A region started inside a part of the running one — on its caller or on
/// a helper — would wait forever: it gets `false` from `run` and splits its work otherwise.
/// Parts go to whichever thread asks next, the caller included, so a helper slow to wake delays
/// nothing; which thread computes a part never changes what it computes.
///
/// The parts of a region are handed out without a lock: one atomic word holds the region's
/// number, its part count and the next part, and a thread takes a part by a compare-and-swap
/// that fails if the region has changed meanwhile. Between regions a helper, and a caller whose
/// parts are done, spin on that word (or on the count of unfinished parts) for up to a
/// millisecond, offering their core to other threads every few microseconds (`sched_yield`),
/// and only then sleep on a condition: a decoding step runs some thirty regions back to back,
/// of a few tens to hundreds of microseconds each, and a thread woken from sleep costs a futex
/// call on each side and its wake-up latency, in every region. A thread that sleeps says so
/// first (`sleepers`), and only then is the condition signalled: a region whose helpers all
/// spin makes no system call at all.
///
/// A thread that has seen no sleeper must not skip the signal while one goes to sleep waiting
/// for what it published: there are two such hand-offs, each of the store-buffering shape (each
/// side writes one word, then reads the other's).
///
/// - A new region: the caller publishes it (`state.store`), then looks at `sleepers`; a
///   helper counts itself in `sleepers` (`sleepers.add`), then looks at `state`.
/// - The last part done: the thread that finishes it publishes that (`remaining.subtract`),
///   then looks at `sleepers`; the caller counts itself in `sleepers`, then looks at
///   `remaining`.
///
/// Every one of these eight accesses is sequentially consistent, so all of them fall in one
/// total order that each thread's own order respects. In it, either the publish comes before
/// the sleeper's count, and then the sleeper's look, after its count, sees the publish; or the
/// count comes before the publish, and then the publisher's look, after its publish, sees the
/// count and signals. At least one of the two sees the other. Weaker orderings would not do:
/// with a releasing publish and an acquiring look, both reads may return the old values (on
/// ARM64 an acquiring load, LDAPR, may be satisfied before the thread's earlier store is
/// visible to others); the signal is then skipped and the sleeper sleeps forever — for the
/// last part, the caller, the only thread that could start the next region. On x86-64 a
/// sequentially consistent read-modify-write is the same locked instruction as an
/// acquiring-and-releasing one, and a load the same `mov`, so these orderings cost nothing
/// there. Finally the sleeper's look and its wait are joined by the lock, which the signaller
/// takes before it signals: the signal cannot fall between them.
final class HelperThreads: @unchecked Sendable {
    /// Why `@unchecked Sendable` is safe: `started`, `helpers` and `owner` are read and written
    /// only while `condition` is locked; `task` is written by the caller before it publishes a
    /// region in `state` (releasing) and read by a thread only after its compare-and-swap on
    /// `state` (acquiring) won it a part, while the region cannot end; and the parts of a region
    /// write disjoint items (see `Bands`).
    static let shared = HelperThreads()

    /// Held by the region that has the helpers.
    private let entry = NSLock()
    /// Guards `started`, `helpers` and `owner`; sleeping threads wait on it.
    private let condition = NSCondition()
    /// Helper threads started so far, and those that have begun to run, by id.
    private var started = 0, helpers: [pthread_t] = []
    /// The thread whose region has the helpers, nil between regions.
    private var owner: pthread_t?
    /// The current region's work, and the type that knows how to run its parts. A pointer to
    /// the caller's value, not a closure: nothing to convert or allocate.
    private var task: (work: UnsafeRawPointer, kind: any ParallelParts.Type)?
    /// The region: its number (bits 32 and up), its part count (bits 16–31) and the next part
    /// to hand out (bits 0–15). A region has at most `maximumParts` parts.
    private let state = Atomic<Int>(0)
    /// Parts of the current region not yet done.
    private let remaining = Atomic<Int>(0)
    /// Threads asleep on `condition`, or about to be.
    private let sleepers = Atomic<Int>(0)
    /// How long a waiting thread spins before it sleeps, and how many reads of its atomic it
    /// makes between looks at the clock; every `looksPerYield`-th look offers its core to other
    /// threads, so that on a machine with more runnable threads than cores a spinning thread
    /// does not keep one that the thread it waits for needs.
    private static let spinNanoseconds = 1_000_000
    private static let readsPerLook = 1024, looksPerYield = 8
    static let maximumParts = 0xFFFF
    /// The most helpers ever started: with the caller, one thread per processor. A region of
    /// more parts than that shares them out between the same threads (parts go to whichever
    /// thread asks next), so a thread count above the processor count splits the work finer
    /// but starts no thread that would only wait for a core.
    static let maximumHelpers = max(0, ProcessInfo.processInfo.activeProcessorCount - 1)

    private init() {}

    /// Runs `work.part(0)`, …, `work.part(parts − 1)` on the caller and up to parts − 1 helpers,
    /// and returns when all are done, after waiting for the helpers if another thread's region
    /// has them; or returns false at once, having run nothing, when called from a part of the
    /// running region. Starts the helpers it lacks, up to `maximumHelpers` (the only
    /// allocation, once). At most `maximumParts` parts.
    func run<Work: ParallelParts>(_ parts: Int, _ work: Work) -> Bool {
        precondition(parts <= Self.maximumParts, "a region of more than \(Self.maximumParts) parts")
        guard !insideRegion() else { return false }
        entry.lock()
        defer { entry.unlock() }
        condition.lock()
        owner = pthread_self()
        while started < min(parts - 1, Self.maximumHelpers) {
            started += 1
            let thread = Thread { [unowned self] in helping() }
            thread.name = "Kernels helper \(started)"
            thread.start()
        }
        condition.unlock()
        withUnsafePointer(to: work) { work in
            task = (UnsafeRawPointer(work), Work.self)
            remaining.store(parts, ordering: .relaxed)
            let region = (state.load(ordering: .relaxed) >> 32) &+ 1
            state.store(region << 32 | parts << 16, ordering: .sequentiallyConsistent)
            wakeSleepers()
            takeParts(of: region)
            // Sequentially consistent, as the last part's `remaining.subtract`: see the type's
            // comment. (It is also an acquiring load: the parts' reads of `task` come before it.)
            wait(until: { remaining.load(ordering: .sequentiallyConsistent) == 0 })
            task = nil
        }
        condition.lock()
        owner = nil
        condition.unlock()
        return true
    }

    /// Helper threads started so far (at most `maximumHelpers`).
    var startedHelpers: Int {
        condition.lock()
        defer { condition.unlock() }
        return started
    }

    /// Whether the calling thread runs a part of the current region: its caller, or a helper
    /// (helpers run nothing else).
    private func insideRegion() -> Bool {
        let me = pthread_self()
        condition.lock()
        defer { condition.unlock() }
        if let owner, pthread_equal(owner, me) != 0 { return true }
        // By index: a generic `contains(where:)` allocates in debug builds.
        for i in 0..<helpers.count where pthread_equal(helpers[i], me) != 0 { return true }
        return false
    }

    /// Runs parts of region `region` until none is left to hand out or the region has changed.
    private func takeParts(of region: Int) {
        var current = state.load(ordering: .acquiring)
        while current >> 32 == region && current & 0xFFFF < (current >> 16) & 0xFFFF {
            let (exchanged, original) = state.compareExchange(expected: current, desired: current &+ 1,
                                                              ordering: .acquiringAndReleasing)
            guard exchanged else {
                current = original
                continue
            }
            // Part `current & 0xFFFF` of `region` is this thread's, and the region cannot end
            // before it is done: `task` is the region's, set before the region was published.
            guard let task else { preconditionFailure("part \(current & 0xFFFF) of region \(region) has no work") }
            task.kind.perform(task.work, part: current & 0xFFFF)
            // Sequentially consistent, as the caller's look at `remaining` after it counts
            // itself asleep: see the type's comment.
            if remaining.subtract(1, ordering: .sequentiallyConsistent).newValue == 0 { wakeSleepers() }
            current = state.load(ordering: .acquiring)
        }
    }

    /// Signals the threads asleep on `condition`, if any: called after a change a sleeper may be
    /// waiting for (a new region, the last part done), published sequentially consistently.
    private func wakeSleepers() {
        guard sleepers.load(ordering: .sequentiallyConsistent) > 0 else { return }
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Returns when `done()` holds: spins for a while, then sleeps on `condition` until woken by
    /// a change (`wakeSleepers`). A sleeper counts itself before it looks again, under the lock,
    /// and a changer publishes its change before it looks at the count, all four sequentially
    /// consistent (`done` must load so): either the sleeper sees the change or the changer sees
    /// the sleeper (the type's comment says why), and its signal cannot come between the
    /// sleeper's look and its wait, which the lock joins.
    private func wait(until done: () -> Bool) {
        if spin(until: done) { return }
        condition.lock()
        sleepers.add(1, ordering: .sequentiallyConsistent)
        while !done() { condition.wait() }
        sleepers.subtract(1, ordering: .sequentiallyConsistent)
        condition.unlock()
    }

    /// Whether `done()` came to hold within `spinNanoseconds`.
    private func spin(until done: () -> Bool) -> Bool {
        var reads = 0, looks = 0, deadline = 0
        while !done() {
            reads &+= 1
            guard reads == Self.readsPerLook else { continue }
            reads = 0
            looks &+= 1
            let now = Self.nanoseconds()
            if deadline == 0 {
                deadline = now &+ Self.spinNanoseconds
            } else if now > deadline {
                return false
            }
            if looks % Self.looksPerYield == 0 { sched_yield() }
        }
        return true
    }

    /// The monotonic clock, in nanoseconds.
    private static func nanoseconds() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return time.tv_sec &* 1_000_000_000 &+ time.tv_nsec
    }

    /// A helper's life: wait for a region it has not seen, take parts of it, wait again.
    private func helping() {
        condition.lock()
        helpers.append(pthread_self())
        condition.unlock()
        var seen = 0
        while true {
            wait(until: { state.load(ordering: .sequentiallyConsistent) >> 32 != seen })
            seen = state.load(ordering: .acquiring) >> 32
            takeParts(of: seen)
        }
    }
}

/// Work in parts, for `HelperThreads`.
protocol ParallelParts {
    /// Part `index` of the work.
    func part(_ index: Int)
}

extension ParallelParts {
    /// Part `index` of the value at `work`, of this type: how a helper calls a value it knows by
    /// its address and its type only.
    static func perform(_ work: UnsafeRawPointer, part index: Int) {
        work.assumingMemoryBound(to: Self.self).pointee.part(index)
    }
}
