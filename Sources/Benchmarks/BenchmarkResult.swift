import Foundation

/// One measured case of a `bench` subcommand, printed as one JSON object on one line (keys sorted):
///
///     {"benchmark":"gemm","build":"release","cpu":"AMD EPYC","gflops":102.13114718858274,
///      "median_seconds":0.021026726000000003,"parameters":{"rung":"threaded","seed":1,"size":1024},
///      "repetitions":5,"threads":2}
///
/// `median_seconds` is the median of `repetitions` timed runs of the case (each after one
/// untimed run). The rates derive from it: `gflops` = flops of one run / median / 10⁹ for a
/// workload with a flop count; `tokens_per_second` = tokens of one run / median and
/// `ms_per_token` = 1000 · median / tokens for one that reads tokens. Rates that do not apply
/// are left out. `cpu` is the model name from /proc/cpuinfo, so that every number names the
/// machine it came from; `build` is "release" or "debug" (a debug build's speeds say nothing).
public struct BenchmarkResult: Codable, Equatable, Sendable {
    /// The subcommand: gemm, peak, retention, model.
    public var benchmark: String
    /// What was measured: sizes, the rung, kernel or mode, the seed.
    public var parameters: [String: Parameter]
    public var cpu: String
    public var build: String
    /// Threads the measured code ran on.
    public var threads: Int
    /// Timed runs the median is taken over.
    public var repetitions: Int
    public var medianSeconds: Double
    public var gflops: Double?
    public var tokensPerSecond: Double?
    public var msPerToken: Double?

    enum CodingKeys: String, CodingKey {
        case benchmark, parameters, cpu, build, threads, repetitions, gflops
        case medianSeconds = "median_seconds", tokensPerSecond = "tokens_per_second", msPerToken = "ms_per_token"
    }

    /// A result with the rates derived from `medianSeconds`: `flops` and `tokens` are the work
    /// of one timed run (nil where they do not apply). No rate is given for a zero median.
    public init(benchmark: String, parameters: [String: Parameter], threads: Int, repetitions: Int,
         medianSeconds: Double, flops: Double? = nil, tokens: Int? = nil) {
        self.benchmark = benchmark
        self.parameters = parameters
        self.cpu = Machine.cpu
        self.build = Machine.build
        self.threads = threads
        self.repetitions = repetitions
        self.medianSeconds = medianSeconds
        if medianSeconds > 0 {
            gflops = flops.map { $0 / medianSeconds / 1e9 }
            tokensPerSecond = tokens.map { Double($0) / medianSeconds }
            msPerToken = tokens.map { 1000 * medianSeconds / Double($0) }
        }
    }

    /// The JSON object on one line.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// A parameter's value: a JSON integer, number or string.
public enum Parameter: Codable, Equatable, Sendable {
    case integer(Int)
    case number(Double)
    case text(String)

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else {
            self = .text(try container.decode(String.self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .text(let value): try container.encode(value)
        }
    }

    /// The value of an `.integer`, else nil.
    public var integer: Int? { if case .integer(let value) = self { value } else { nil } }
    /// The value of a `.text`, else nil.
    public var text: String? { if case .text(let value) = self { value } else { nil } }
}

/// What a result says about where it was measured.
enum Machine {
    /// The CPU's model name: /proc/cpuinfo's first "model name" line on Linux,
    /// machdep.cpu.brand_string on Darwin, "unknown" where neither is found.
    static let cpu: String = {
        #if canImport(Darwin)
        var size = 0
        if sysctlbyname("machdep.cpu.brand_string", nil, &size, nil, 0) == 0, size > 1 {
            var bytes = [CChar](repeating: 0, count: size)
            if sysctlbyname("machdep.cpu.brand_string", &bytes, &size, nil, 0) == 0 {
                return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
        #endif
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
              let colon = line.firstIndex(of: ":")
        else { return "unknown" }
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }()

    #if DEBUG
    static let build = "debug"
    #else
    static let build = "release"
    #endif
}
