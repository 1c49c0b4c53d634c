import Foundation
import Testing
@testable import Kernels

/// Block sizes from cache sizes: reading Linux's description of the caches, the derivation on
/// made-up machines, and the fallback where nothing can be read.
@Suite struct GEMMBlockingTests {
    @Test func sysfsSizesParse() {
        #expect(CacheSizes.bytes("32K") == 32_768)
        #expect(CacheSizes.bytes("1024K") == 1_048_576)
        #expect(CacheSizes.bytes("32M") == 33_554_432)
        #expect(CacheSizes.bytes("1G") == 1 << 30)
        #expect(CacheSizes.bytes("512") == 512)
        for bad in ["", "K", "0K", "-4K", "12Q", "3.5M", "99999999999999999G"] {
            #expect(CacheSizes.bytes(bad) == nil, "\"\(bad)\"")
        }
        #expect(CacheSizes.cpuCount("0-1") == 2)
        #expect(CacheSizes.cpuCount("0,2,4-7") == 6)
        #expect(CacheSizes.cpuCount("3") == 1)
        for bad in ["", "a-b", "5-2", "1-2-3", "0,,x"] {
            #expect(CacheSizes.cpuCount(bad) == nil, "\"\(bad)\"")
        }
    }

    /// A made-up /sys/devices/system/cpu/cpu0/cache: one folder per cache, its files as Linux
    /// writes them (with their trailing newlines).
    func fakeCacheDirectory(_ caches: [(level: Int, type: String, size: String, ways: String, shared: String)]) throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("caches-\(UUID().uuidString)").path
        for (index, cache) in caches.enumerated() {
            let folder = root + "/index\(index)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (name, value) in [("level", "\(cache.level)"), ("type", cache.type), ("size", cache.size),
                                  ("ways_of_associativity", cache.ways), ("shared_cpu_list", cache.shared)] {
                try (value + "\n").write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
            }
        }
        return root
    }

    @Test func cachesAreReadFromSysfs() throws {
        let xeon = try fakeCacheDirectory([(1, "Data", "48K", "12", "0"), (1, "Instruction", "32K", "8", "0"),
                                           (2, "Unified", "2048K", "16", "0"), (3, "Unified", "105M", "15", "0-3")])
        defer { try? FileManager.default.removeItem(atPath: xeon) }
        #expect(CacheSizes.read(from: xeon)
            == CacheSizes(level1: 48 << 10, level1Ways: 12, level2: 2 << 20, level3: 105 << 20, level3Sharing: 4))

        // No L3; L1 ways that do not parse count as 8.
        let noL3 = try fakeCacheDirectory([(1, "Data", "32K", "?", "0"), (2, "Unified", "512K", "8", "0")])
        defer { try? FileManager.default.removeItem(atPath: noL3) }
        #expect(CacheSizes.read(from: noL3) == CacheSizes(level1: 32 << 10, level1Ways: 8, level2: 512 << 10, level3: nil))

        // Only an instruction cache at level 1, or an L2 size that does not parse: unreadable.
        let noData = try fakeCacheDirectory([(1, "Instruction", "32K", "8", "0"), (2, "Unified", "512K", "8", "0")])
        let badSize = try fakeCacheDirectory([(1, "Data", "32K", "8", "0"), (2, "Unified", "lots", "8", "0")])
        defer { for folder in [noData, badSize] { try? FileManager.default.removeItem(atPath: folder) } }
        #expect(CacheSizes.read(from: noData) == nil)
        #expect(CacheSizes.read(from: badSize) == nil)
        #expect(CacheSizes.read(from: "/nonexistent/cpu0/cache") == nil)
    }

    @Test func blockSizesFollowTheCaches() {
        // A Zen 4 core: 32 KiB 8-way L1d, 1 MiB L2, 32 MiB L3 shared by 2. k_c: 12 rows × k_c
        // floats in 6 of 8 ways, 24 KiB → 512; n_c: 512 × n_c floats in 512 KiB → 256 (whole
        // tiles of 16 or 32); m_c: m_c × 512 floats in 8 MiB → 4,096 → 4,092 (whole tiles of 12 or 6).
        let zen4 = CacheSizes(level1: 32 << 10, level1Ways: 8, level2: 1 << 20, level3: 32 << 20, level3Sharing: 2)
        for tile in RegisterTile.allCases {
            #expect(GEMMBlocking.derived(tile: tile, caches: zen4) == GEMMBlocking(tile: tile, depth: 512, columns: 256, rows: 4_092))
        }
        // 48 KiB 12-way L1d, 2 MiB L2, no L3: k_c = 40 KiB / 48 = 853 → 848; n_c = 1 MiB / (4 × 848)
        // = 309 → 288 (32) or 304 (16); m_c from half of L2: 309 → 300 (12) or 306 (6).
        let noL3 = CacheSizes(level1: 48 << 10, level1Ways: 12, level2: 2 << 20, level3: nil)
        let wide = GEMMBlocking.derived(tile: .avx512, caches: noL3)
        #expect((wide.depth, wide.columns, wide.rows) == (848, 288, 300))
        let narrow = GEMMBlocking.derived(tile: .avx2, caches: noL3)
        #expect((narrow.depth, narrow.columns, narrow.rows) == (848, 304, 306))
        // Tiny caches meet the lower bounds (k_c 128), huge ones the upper (k_c 1,024, n_c 4,096,
        // m_c 16,384 rounded down to whole tiles).
        let tiny = GEMMBlocking.derived(tile: .avx512, caches: CacheSizes(level1: 4 << 10, level2: 64 << 10, level3: nil))
        #expect((tiny.depth, tiny.columns, tiny.rows) == (128, 64, 60))
        let huge = GEMMBlocking.derived(tile: .avx512, caches: CacheSizes(level1: 1 << 20, level2: 1 << 30, level3: 1 << 34))
        #expect((huge.depth, huge.columns, huge.rows) == (1_024, 4_096, 16_380))
    }

    @Test func kIsCutIntoEvenBlocks() {
        let blocking = GEMMBlocking(tile: .avx512, depth: 336, columns: 384, rows: 120)
        #expect(blocking.blockDepth(100) == 100 && blocking.blockDepth(336) == 336)
        #expect(blocking.blockDepth(337) == 169)    // two blocks, 169 + 168
        #expect(blocking.blockDepth(1_024) == 256)  // four blocks of 256, not 3 × 336 + 16
        #expect(GEMMBlocking(tile: .avx2, depth: 512, columns: 256, rows: 6).blockDepth(1_024) == 512)
        for k in 1...2_000 {
            let depth = blocking.blockDepth(k), blocks = (k + depth - 1) / depth
            #expect(depth <= 336 && blocks == (k + 335) / 336, "k = \(k): \(blocks) blocks of \(depth)")
        }
    }

    @Test func unreadableCachesFallBackToTheConstants() {
        for tile in RegisterTile.allCases {
            let fallback = GEMMBlocking.derived(tile: tile, caches: nil)
            #expect(fallback == GEMMBlocking.fallback(tile: tile))
            #expect((fallback.depth, fallback.columns, fallback.rows) == (384, 384, 3_072))
        }
    }

    @Test func sizesAreWholeTiles() {
        let blocking = GEMMBlocking(tile: .avx512, depth: 0, columns: 50, rows: 13)
        #expect((blocking.depth, blocking.columns, blocking.rows) == (1, 32, 12))
        let small = GEMMBlocking(tile: .avx2, depth: 7, columns: 5, rows: 1)
        #expect((small.depth, small.columns, small.rows) == (7, 16, 6))
        // This machine's: whole tiles, the depth within its bounds (or the fallback's).
        let selected = GEMMBlocking.selected
        #expect(selected.columns % selected.tile.columns == 0 && selected.rows % selected.tile.rows == 0)
        #expect((128...1_024).contains(selected.depth))
        #expect(selected == GEMMBlocking.derived(tile: RegisterTile.selected, caches: CacheSizes.read(from: CacheSizes.linuxDirectory)))
    }
}
