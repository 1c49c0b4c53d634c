import Foundation

/// The instruction-set extensions this CPU reports, by the names Linux gives them in the `flags`
/// line of /proc/cpuinfo (`avx2`, `fma`, `avx512f`, …): what `RegisterTile.select(for:)` reads to
/// choose the GEMM's register tile.
///
/// Swift has no conditional compilation on target features (`#if arch(x86_64)` exists, nothing
/// like `#if avx512f`), so the choice is made when the program runs, once. Release builds are
/// compiled with `-march=native` for the machine that builds them (Package.swift), so the CPU
/// that runs them reports what they were compiled for.
package struct CPUFeatures: Sendable, Equatable {
    /// The extensions, lower-case, as /proc/cpuinfo spells them.
    package let flags: Set<String>

    package init(_ flags: Set<String>) {
        self.flags = flags
    }

    /// The flags of the first `flags` line of a /proc/cpuinfo text ("flags : fpu vme … avx512f …");
    /// none when the text has no such line (other architectures call it `Features`).
    package init(cpuinfo text: String) {
        let list = text.split(separator: "\n").lazy.compactMap { line -> Substring? in
            guard line.hasPrefix("flags"), let colon = line.firstIndex(of: ":") else { return nil }
            return line[line.index(after: colon)...]
        }.first ?? ""
        self.init(Set(list.split(whereSeparator: \.isWhitespace).map { $0.lowercased() }))
    }

    /// Whether the CPU reports extension `flag`.
    package func has(_ flag: String) -> Bool { flags.contains(flag) }

    /// This machine's: /proc/cpuinfo on Linux, the `hw.optional` sysctls on Darwin, none elsewhere.
    package static let current: CPUFeatures = {
        #if canImport(Darwin)
        let names = ["avx2": "hw.optional.avx2_0", "fma": "hw.optional.fma", "avx512f": "hw.optional.avx512f"]
        return CPUFeatures(Set(names.compactMap { flag, sysctl in
            var value: Int32 = 0
            var size = MemoryLayout<Int32>.size
            return sysctlbyname(sysctl, &value, &size, nil, 0) == 0 && value != 0 ? flag : nil
        }))
        #else
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return CPUFeatures([]) }
        return CPUFeatures(cpuinfo: text)
        #endif
    }()
}
