import Dispatch
import Foundation
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
