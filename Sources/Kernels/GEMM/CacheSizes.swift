import Foundation

/// The data caches one core sees, in bytes, as Linux reports them in
/// /sys/devices/system/cpu/cpu0/cache/index*/ (`level`, `type`, `size`, `ways_of_associativity`,
/// `shared_cpu_list`): what `GEMMBlocking.derived(tile:caches:)` sizes the packed panels by.
package struct CacheSizes: Sendable, Equatable {
    /// The level-1 data cache, and its ways (lines of one set).
    package var level1: Int
    package var level1Ways: Int
    /// The level-2 cache (data or unified).
    package var level2: Int
    /// The level-3 cache, if there is one, and how many CPUs share it.
    package var level3: Int?
    package var level3Sharing: Int

    /// Caches of these sizes; an L1 whose ways are not known is taken as 8-way, as most are.
    package init(level1: Int, level1Ways: Int = 8, level2: Int, level3: Int?, level3Sharing: Int = 1) {
        (self.level1, self.level1Ways, self.level2) = (level1, Swift.max(1, level1Ways), level2)
        (self.level3, self.level3Sharing) = (level3, Swift.max(1, level3Sharing))
    }

    /// Where Linux describes CPU 0's caches.
    package static let linuxDirectory = "/sys/devices/system/cpu/cpu0/cache"

    /// This machine's caches, or nil when they cannot be read (not Linux, no sysfs, a size that
    /// does not parse): the blocking then falls back to constants.
    package static let current = read(from: linuxDirectory)

    /// The caches described under `directory` (its `index0`, `index1`, … folders), or nil when a
    /// level-1 data cache and a level-2 cache are not both found with sizes that parse.
    package static func read(from directory: String) -> CacheSizes? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        var sizes: [Int: (bytes: Int, ways: Int?, sharing: Int)] = [:]
        for entry in entries where entry.hasPrefix("index") {
            let folder = directory + "/" + entry + "/"
            func field(_ name: String) -> String? {
                (try? String(contentsOfFile: folder + name, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            guard let level = field("level").flatMap({ Int($0) }), let type = field("type"), type != "Instruction",
                  let bytes = field("size").flatMap(Self.bytes)
            else { continue }
            let ways = field("ways_of_associativity").flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
            sizes[level] = (bytes, ways, field("shared_cpu_list").flatMap(Self.cpuCount) ?? 1)
        }
        guard let level1 = sizes[1], let level2 = sizes[2]?.bytes else { return nil }
        return CacheSizes(level1: level1.bytes, level1Ways: level1.ways ?? 8, level2: level2,
                          level3: sizes[3]?.bytes, level3Sharing: sizes[3]?.sharing ?? 1)
    }

    /// A sysfs cache size in bytes: "32K", "1024K", "32M", "512" (bytes); nil for anything else
    /// or for a size that is not positive.
    package static func bytes(_ text: String) -> Int? {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        let (digits, unit) = text.last.flatMap { units[$0] }.map { (text.dropLast(), $0) } ?? (Substring(text), 1)
        guard let value = Int(digits), value > 0 else { return nil }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: unit)
        return overflow ? nil : bytes
    }

    /// How many CPUs a list such as "0-1", "0,2,4-7" or "3" names; nil when it does not parse.
    package static func cpuCount(_ list: String) -> Int? {
        var count = 0
        for part in list.split(separator: ",") {
            let bounds = part.split(separator: "-").map { Int($0) }
            switch bounds.count {
            case 1: guard bounds[0] != nil else { return nil }; count += 1
            case 2:
                guard let low = bounds[0], let high = bounds[1], low <= high else { return nil }
                count += high - low + 1
            default: return nil
            }
        }
        return count > 0 ? count : nil
    }
}
