import Foundation

/// Runs an executable this package built, as a user would, and captures what it printed: the
/// test targets use it to check the chapters, `figures` and `retnet` from the outside.
///
/// Built products sit beside the running test bundle (`swift test` builds every executable).
public enum ProductRunner {
    /// What a run printed and how it ended.
    public struct Run: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    public enum RunnerError: Error, CustomStringConvertible {
        case notBuilt(String)
        public var description: String {
            switch self {
            case .notBuilt(let path): "\(path) is not built (swift test builds every executable; or run `swift build`)"
            }
        }
    }

    /// The folder of build products: where the running test bundle lives.
    public static var productsDirectory: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// Runs product `name` with `arguments`, reading both streams at once so a chatty stderr
    /// cannot block the child.
    public static func run(_ name: String, _ arguments: [String]) throws -> Run {
        let executable = productsDirectory.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw RunnerError.notBuilt(executable.path)
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData, as: UTF8.self))
    }
}
