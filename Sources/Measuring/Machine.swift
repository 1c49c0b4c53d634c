import Foundation
import Matrices

/// What a measured number must say about where it was measured: the CPU's name, how busy the
/// machine was, and the date.
public enum Machine {
    /// The CPU's model name from /proc/cpuinfo ("an unnamed CPU" where there is none).
    public static func cpuName() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
              let colon = line.firstIndex(of: ":")
        else { return "an unnamed CPU" }
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }

    /// The machine's 1-minute load average and its cores ("load 1.2 on 2 cores"): how much else
    /// was running, which the timings cannot show by themselves.
    public static func loadAverage() -> String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        guard let first = text.split(separator: " ").first, let load = Double(first) else { return "\(cores) cores" }
        return "load \(Format.fixed(load, 1)) on \(cores) cores"
    }

    /// Today's date (UTC), as 2026-12-01.
    public static func today() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter.string(from: Date())
    }
}
