import Dispatch
import Foundation
import Matrices
import Synchronization
import Measuring
import Testing
@testable import Kernels

/// `Bands.run` on the helper threads: every item exactly once, for any thread count, from
/// several threads at once, and with work started inside a band (which must not wait for the
/// helpers it is running on). A lost, repeated or hung part fails these.
@Suite(.timeLimit(.minutes(1)))
struct HelperThreadsTests {
    /// Adds 1 to each item of its band, then 1 more `inner` times, each time by a `Bands.run`
    /// over the band's items started inside the band.
    struct Count: BandWork {
        let counts: UnsafeMutablePointer<Int>
        let threads: Int, inner: Int

        func callAsFunction(_ band: Range<Int>) {
            for i in band { counts[i] += 1 }
            let (counts, start) = (counts, band.lowerBound)
            for _ in 0..<inner {
                Bands.run(band.count, threads: threads) { items in
                    for i in items { counts[start + i] += 1 }
                }
            }
        }
    }

    static func counts(items: Int, threads: Int, inner: Int = 0, repeats: Int = 1) -> [Int] {
        var counts = [Int](repeating: 0, count: items)
        counts.withUnsafeMutableBufferPointer { counts in
            for _ in 0..<repeats {
                Bands.run(items, threads: threads, Count(counts: counts.baseAddress!, threads: threads, inner: inner))
            }
        }
        return counts
    }

    @Test func everyItemOnceForAnyThreadCount() {
        for threads in 1...5 {
            for items in [0, 1, 2, 3, 7, 64] {
                #expect(Self.counts(items: items, threads: threads, repeats: 3) == [Int](repeating: 3, count: items),
                        "\(items) items, \(threads) threads")
            }
        }
    }

    @Test func workStartedInsideABandCompletes() {
        #expect(Self.counts(items: 6, threads: 2, inner: 4, repeats: 5) == [Int](repeating: 25, count: 6))
    }

    /// Many short regions back to back, their part counts changing: a helper still looking at
    /// a region that has ended must not take a part of the next one (each part is counted once).
    @Test func manyShortRegionsInARow() {
        var counts = [Int](repeating: 0, count: 9)
        counts.withUnsafeMutableBufferPointer { counts in
            for round in 0..<20_000 {
                let items = 2 + round % 8
                Bands.run(items, threads: 2 + round % 3, Count(counts: counts.baseAddress!, threads: 1, inner: 0))
            }
        }
        // Item i is in the regions of items > i: rounds with 2 + round % 8 > i.
        let expected = (0..<9).map { i in (0..<20_000).filter { 2 + $0 % 8 > i }.count }
        #expect(counts == expected)
    }

    /// Parts that outlast the spin (a few milliseconds each), and pauses between regions as
    /// long: the threads waiting for them go to sleep, and must be woken.
    @Test func sleepingThreadsAreWoken() {
        struct Slow: BandWork {
            let counts: UnsafeMutablePointer<Int>
            func callAsFunction(_ band: Range<Int>) {
                usleep(UInt32(3_000 * (band.lowerBound + 1)))
                for i in band { counts[i] += 1 }
            }
        }
        var counts = [Int](repeating: 0, count: 3)
        counts.withUnsafeMutableBufferPointer { counts in
            for _ in 0..<10 {
                Bands.run(3, threads: 3, Slow(counts: counts.baseAddress!))
                usleep(3_000)
            }
        }
        #expect(counts == [10, 10, 10])
    }

    @Test func regionsFromSeveralThreadsAtOnce() {
        let results = UnsafeMutableBufferPointer<[Int]>.allocate(capacity: 4)
        results.initialize(repeating: [])
        defer { results.deinitialize().deallocate() }
        let shared = UnsafeSendable(results)
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            shared.value[t] = Self.counts(items: 33, threads: 2 + t % 2, repeats: 200)
        }
        for t in 0..<4 { #expect(results[t] == [Int](repeating: 200, count: 33), "thread \(t)") }
    }
}

/// Each of the threads above writes only its own element.
private struct UnsafeSendable: @unchecked Sendable {
    let value: UnsafeMutableBufferPointer<[Int]>
    init(_ value: UnsafeMutableBufferPointer<[Int]>) { self.value = value }
}

/// Regions nested inside regions, and thread counts above the processor count: every run
/// completes, and gives the bits of one thread.
@Suite(.timeLimit(.minutes(1)))
struct NestedRegionsTests {
    /// Updates each item of its band (x ← 0.75 x + level + item mod 7: the levels' updates do
    /// not commute, so a changed order changes the bits), then runs itself one level down over
    /// the band's items, `level` levels in all below this one. `first` is the item at index 0.
    /// Each band first sleeps `pause` microseconds, long enough for any idle thread to take a
    /// band, and a band of a nested region counts itself in `strays` if it runs on another
    /// thread than the one that started its region (`starter`).
    struct Nested: BandWork {
        let values: UnsafeMutablePointer<Float>
        let first: Int, threads: Int, level: Int, pause: UInt32
        let starter: pthread_t?, strays: Strays

        func callAsFunction(_ band: Range<Int>) {
            if let starter, pthread_equal(starter, pthread_self()) == 0 { strays.count.add(1, ordering: .relaxed) }
            if pause > 0 { usleep(pause) }
            for i in band { values[first + i] = values[first + i] * 0.75 + Float(level + (first + i) % 7) }
            guard level > 0 else { return }
            Bands.run(band.count, threads: threads,
                      Nested(values: values, first: first + band.lowerBound, threads: threads, level: level - 1, pause: pause,
                             starter: pthread_self(), strays: strays))
        }
    }

    /// Bands of nested regions that ran on another thread than the one that started their region.
    final class Strays: Sendable {
        let count = Atomic<Int>(0)
    }

    /// The values after `levels` levels of regions, and how many nested bands strayed.
    static func run(items: Int, threads: Int, levels: Int, pause: UInt32 = 0) -> (values: [Float], strays: Int) {
        var values = (0..<items).map { Float($0) / 3 }
        let strays = Strays()
        values.withUnsafeMutableBufferPointer { values in
            Bands.run(items, threads: threads,
                      Nested(values: values.baseAddress!, first: 0, threads: threads, level: levels - 1, pause: pause,
                             starter: nil, strays: strays))
        }
        return (values, strays.count.load(ordering: .relaxed))
    }

    /// Each item's updates, top level first, computed here one item at a time.
    static func expected(items: Int, levels: Int) -> [Float] {
        (0..<items).map { item in
            var x = Float(item) / 3
            for level in (0..<levels).reversed() { x = x * 0.75 + Float(level + item % 7) }
            return x
        }
    }

    /// Three and four levels of regions on more than one thread. A region nested in a part used
    /// to hand its bands to Dispatch's threads, whose parts then waited, one level down, for the
    /// helpers that the outermost region holds: a hang, which the time limit turns into a failure
    /// when it happens. Whether it happens depends on when Dispatch lends a thread; that a
    /// nested region's bands all run on the thread that starts it does not.
    @Test(arguments: [3, 4])
    func nestedRegionsCompleteWithTheBitsOfOneThread(levels: Int) {
        let expected = Self.expected(items: 40, levels: levels).map(\.bitPattern)
        for threads in [1, 2, 3, 5, 8] {
            let (values, strays) = Self.run(items: 40, threads: threads, levels: levels, pause: 500)
            #expect(values.map(\.bitPattern) == expected, "\(threads) threads, \(levels) levels")
            #expect(strays == 0, "\(threads) threads, \(levels) levels: nested bands on other threads")
        }
    }

    /// Nested regions started from several threads at once: each waits for the helpers or runs
    /// inside its own region, and none waits for one that waits for it.
    @Test func nestedRegionsFromSeveralThreadsAtOnce() {
        let results = UnsafeMutableBufferPointer<[Float]>.allocate(capacity: 4)
        results.initialize(repeating: [])
        defer { results.deinitialize().deallocate() }
        let shared = UnsafeSendableFloats(results)
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            for _ in 0..<5 {
                let (values, strays) = Self.run(items: 17, threads: 2 + t % 3, levels: 3, pause: 200)
                shared.value[t] = strays == 0 ? values : []
            }
        }
        let expected = Self.expected(items: 17, levels: 3).map(\.bitPattern)
        for t in 0..<4 { #expect(results[t].map(\.bitPattern) == expected, "thread \(t) (empty: nested bands strayed)") }
    }

    /// More threads than processors (up to `ThreadCount.maximum`): the work is split into that
    /// many bands, but no more helpers start than one per processor besides the caller, and
    /// the product has the bits of one thread.
    @Test func threadCountsAboveTheProcessorCountGiveTheBitsOfOneThread() throws {
        let processors = ProcessInfo.processInfo.activeProcessorCount
        #expect(HelperThreads.maximumHelpers == max(0, processors - 1))
        let (m, n, k) = (300, 37, 29)
        var generator = SplitMix64(seed: 5)
        let a = (0..<m * k).map { _ in Float.random(in: -1...1, using: &generator) }
        let b = (0..<k * n).map { _ in Float.random(in: -1...1, using: &generator) }
        let one = try GEMM.threaded(a, b, m: m, n: n, k: k, threads: 1)
        for threads in [processors + 1, 4 * processors, ThreadCount.maximum] {
            let many = try GEMM.threaded(a, b, m: m, n: n, k: k, threads: threads)
            #expect(many.map(\.bitPattern) == one.map(\.bitPattern), "\(threads) threads")
            let (values, strays) = Self.run(items: 300, threads: threads, levels: 3)
            #expect(values.map(\.bitPattern) == Self.expected(items: 300, levels: 3).map(\.bitPattern), "\(threads) threads")
            #expect(strays == 0, "\(threads) threads")
        }
        #expect(HelperThreads.shared.startedHelpers <= HelperThreads.maximumHelpers)
    }

    @Test func threadCountsOutsideTheBoundsAreRefused() {
        let a = [Float](repeating: 1, count: 6)
        for threads in [0, -1, ThreadCount.maximum + 1, Int.max] {
            #expect(throws: KernelError.threads(threads)) { try GEMM.threaded(a, a, m: 2, n: 2, k: 3, threads: threads) }
            #expect(throws: KernelError.threads(threads)) { try FMAPeak.measure(threads: threads) }
            #expect(throws: KernelError.threads(threads)) { try ReadBandwidth.measure(bytes: 64, threads: threads) }
        }
        #expect(KernelError.threads(0).description == "the thread count must be ≥ 1, got 0")
        #expect(KernelError.threads(257).description == "the thread count must be ≤ 256, got 257")
        #expect(ThreadCount.accepts(1) && ThreadCount.accepts(ThreadCount.maximum))
        #expect(!ThreadCount.accepts(0) && !ThreadCount.accepts(ThreadCount.maximum + 1))
        #expect(ThreadCount.expectation(unmetBy: 0) == "a thread count ≥ 1")
        #expect(ThreadCount.expectation(unmetBy: 257) == "a thread count ≤ 256")
        #expect(ThreadCount.expectation(unmetBy: 256) == nil)
    }
}

/// Each of the threads above writes only its own element.
private struct UnsafeSendableFloats: @unchecked Sendable {
    let value: UnsafeMutableBufferPointer<[Float]>
    init(_ value: UnsafeMutableBufferPointer<[Float]>) { self.value = value }
}
