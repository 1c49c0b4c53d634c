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
/// Between regions a helper, and a caller whose parts are done, first spin for a while on an
/// atomic copy of the counter they wait for, and only then sleep on the condition: a decoding
/// step runs some thirty short regions back to back, and waking a sleeping thread costs about
/// as much as a region's work (a futex call on each side), where a spinning one sees the next
/// region at once.
final class HelperThreads: @unchecked Sendable {
    /// Why `@unchecked Sendable` is safe: every stored property below `entry` is read and
    /// written only while `condition` is locked, except `task`, which the caller sets before it
    /// announces a region and clears after every part has finished, while no helper reads it;
    /// and the parts of a region write disjoint items (see `Bands`).
    static let shared = HelperThreads()

    /// Held by the region that has the helpers.
    private let entry = NSLock()
    /// Guards the state below; helpers wait on it for a region, the caller for its parts.
    private let condition = NSCondition()
    /// Helper threads started so far, and those that have begun to run, by id.
    private var started = 0, helpers: [pthread_t] = []
    /// The thread whose region has the helpers, nil between regions.
    private var owner: pthread_t?
    /// Counts regions, so that a helper knows a new one from the one it has seen.
    private var generation = 0
    /// The current region's work, and the type that knows how to run its parts; nil between
    /// regions. A pointer to the caller's value, not a closure: nothing to convert or allocate.
    private var task: (work: UnsafeRawPointer, kind: any ParallelParts.Type)?
    /// Parts of the current region: how many (0 between regions), the next one to hand out,
    /// those not yet done.
    private var parts = 0, next = 0, unfinished = 0
    /// `generation` and `unfinished`, stored whenever they change (under the lock) and read
    /// without it by a thread spinning before it sleeps; the lock and the condition still decide.
    private let announced = Atomic<Int>(0), remaining = Atomic<Int>(0)
    /// How many times a waiting thread reads its atomic before it sleeps: some tens of
    /// microseconds, longer than the gap between a decoding step's regions.
    private static let spins = 20_000

    private init() {}

    /// Runs `work.part(0)`, …, `work.part(parts − 1)` on the caller and up to parts − 1 helpers,
    /// and returns when all are done, after waiting for the helpers if another thread's region
    /// has them; or returns false at once, having run nothing, when called from a part of the
    /// running region. Starts the helpers it lacks (the only allocation, once).
    func run<Work: ParallelParts>(_ parts: Int, _ work: Work) -> Bool {
        guard !insideRegion() else { return false }
        entry.lock()
        defer { entry.unlock() }
        withUnsafePointer(to: work) { work in
            condition.lock()
            owner = pthread_self()
            while started < parts - 1 {
                started += 1
                let thread = Thread { [unowned self] in helping() }
                thread.name = "Kernels helper \(started)"
                thread.start()
            }
            task = (UnsafeRawPointer(work), Work.self)
            (self.parts, next, unfinished) = (parts, 0, parts)
            generation &+= 1
            remaining.store(parts, ordering: .releasing)
            announced.store(generation, ordering: .releasing)
            condition.broadcast()
            takeParts()
            if unfinished > 0 {
                condition.unlock()
                spin(until: { remaining.load(ordering: .acquiring) == 0 })
                condition.lock()
            }
            while unfinished > 0 { condition.wait() }
            (task, self.parts, next, owner) = (nil, 0, 0, nil)
            condition.unlock()
        }
        return true
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

    /// Runs parts of the current region until none is left to hand out; `condition` is locked
    /// on entry and on return, and unlocked while a part runs.
    private func takeParts() {
        while next < parts {
            let index = next
            next += 1
            condition.unlock()
            perform(index)
            condition.lock()
            unfinished -= 1
            remaining.store(unfinished, ordering: .releasing)
            if unfinished == 0 { condition.broadcast() }
        }
    }

    /// One part of the current region.
    private func perform(_ index: Int) {
        guard let task else { return }
        task.kind.perform(task.work, part: index)
    }

    /// Returns when `done()` holds or after `spins` tries, whichever first; `condition` is not
    /// locked meanwhile.
    private func spin(until done: () -> Bool) {
        var tries = 0
        while tries < Self.spins && !done() { tries &+= 1 }
    }

    /// A helper's life: wait for a region it has not seen, take parts of it, wait again.
    private func helping() {
        var seen = 0
        condition.lock()
        helpers.append(pthread_self())
        while true {
            if generation == seen {
                condition.unlock()
                spin(until: { announced.load(ordering: .acquiring) != seen })
                condition.lock()
            }
            while generation == seen { condition.wait() }
            seen = generation
            takeParts()
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
