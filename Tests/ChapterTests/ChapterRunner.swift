import Foundation
import Testing

/// Runs the chapter executables that `swift build` / `swift test` put beside the test bundle.
enum ChapterRunner {
    /// The package root, from this file's path (Tests/ChapterTests/ChapterRunner.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The build products folder: where the running test bundle lives.
    static var productsDirectory: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// Chapter folders under Chapters/, e.g. ("01", "01-a-state-that-remembers"), in order.
    static var chapters: [(number: String, folder: String)] {
        let dir = packageRoot.appendingPathComponent("Chapters").path
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return folders.sorted().compactMap { folder in
            let number = String(folder.prefix(2))
            return folder.count > 3 && number.allSatisfy(\.isNumber) ? (number, folder) : nil
        }
    }

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `chapterNN` with `arguments`, capturing both streams.
    static func run(_ number: String, _ arguments: [String]) throws -> Run {
        let executable = productsDirectory.appendingPathComponent("chapter\(number)")
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
        // Read both pipes concurrently so a chatty stderr cannot block the child.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Run(status: process.terminationStatus,
                   stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData, as: UTF8.self))
    }

    enum RunnerError: Error, CustomStringConvertible {
        case notBuilt(String)
        var description: String {
            switch self {
            case .notBuilt(let path): "\(path) is not built (swift test builds every executable; run `swift build`)"
            }
        }
    }
}
