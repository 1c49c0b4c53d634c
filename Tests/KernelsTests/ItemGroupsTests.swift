import Testing
@testable import Kernels

/// `ItemGroups` hands out every tile exactly once, in groups of the sizes it promises, and
/// `GEMM.rowGroups` gives every row of C to exactly one group, whatever threads ask.
@Suite struct ItemGroupsTests {
    @Test(arguments: [(1, 2, 1), (2, 2, 1), (65, 2, 1), (11, 2, 1), (171, 2, 100), (9, 3, 4), (1_000, 7, 1)])
    func everyTileOnceInBoundedGroups(tiles: Int, threads: Int, minimumSize: Int) {
        let groups = ItemGroups(items: tiles, threads: threads, minimumSize: minimumSize)
        var seen = [Int](repeating: 0, count: tiles)
        var sizes: [Int] = []
        while let group = groups.next() {
            sizes.append(group.count)
            for tile in group { seen[tile] += 1 }
        }
        #expect(seen.allSatisfy { $0 == 1 }, "\(tiles) tiles: each handed out once")
        let share = (tiles + threads - 1) / threads
        #expect(sizes.dropLast().allSatisfy { $0 == sizes[0] }, "equal groups but the last: \(sizes)")
        #expect(sizes[0] <= share, "a group (\(sizes[0]) tiles) is at most a thread's share (\(share))")
        #expect(sizes[0] >= min(minimumSize, share), "a group (\(sizes[0]) tiles) is at least \(min(minimumSize, share))")
        #expect(groups.next() == nil, "nothing after the last group")
    }

    @Test(arguments: [1, 2, 3])
    func everyRowToOneGroup(threads: Int) {
        let blocking = GEMMBlocking.selected
        for m in [1, 12, 13, 97, 780] {
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: m)
            counts.initialize(repeating: 0, count: m)
            defer { counts.deallocate() }
            GEMM.rowGroups(m, threads: threads, n: 64, k: 64, blocking: blocking) { rows in
                for r in rows { counts[r] += 1 }
            }
            #expect((0..<m).allSatisfy { counts[$0] == 1 }, "m = \(m), \(threads) threads")
        }
    }
}
