import Foundation

/// Runs an executable this package built, as a user would, and captures what it printed: the
/// test targets use it to check the chapters, `figures` and `retnet` from the outside.
///
/// `swift build` and `swift test` put every product in one folder, the one
/// `swift build --show-bin-path` prints, beside the test bundle.
public enum ProductRunner {
    /// What a run printed and how it ended.
    public struct Run: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    public enum RunnerError: Error, CustomStringConvertible {
        /// The product `name` is not in the products folder `folder`.
        case notBuilt(name: String, folder: String)

        public var description: String {
            switch self {
            case .notBuilt(let name, let folder):
                "\(name) is not built: no executable \(name) in \(folder), the build's bin path "
                    + "(`swift test` builds every product first; or run `swift build`)"
            }
        }
    }

    /// The folder of build products, found as swift-argument-parser's test helpers find it. On
    /// macOS the tests run inside a `.xctest` bundle loaded by a runner, and the products sit
    /// beside that bundle; elsewhere the test bundle is itself the running executable, so the
    /// main bundle's folder is the products folder.
    public static var productsDirectory: URL {
        #if os(macOS)
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        #endif
        return Bundle.main.bundleURL
    }

    /// Runs product `name` with `arguments`, reading both streams at once so a chatty stderr
    /// cannot block the child. Throws `RunnerError.notBuilt` when the product is not there.
    public static func run(_ name: String, _ arguments: [String]) throws -> Run {
        let folder = productsDirectory
        let executable = folder.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw RunnerError.notBuilt(name: name, folder: folder.path)
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
