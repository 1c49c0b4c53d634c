import Foundation
import TestSupport
import Testing

/// Runs the chapter executables that `swift build` / `swift test` put beside the test bundle.
enum ChapterRunner {
    /// The package root, from this file's path (Tests/ChapterTests/ChapterRunner.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Chapter folders under Chapters/, e.g. ("01", "01-a-state-that-remembers"), in order.
    static var chapters: [(number: String, folder: String)] {
        let dir = packageRoot.appendingPathComponent("Chapters").path
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return folders.sorted().compactMap { folder in
            let number = String(folder.prefix(2))
            return folder.count > 3 && number.allSatisfy(\.isNumber) ? (number, folder) : nil
        }
    }

    typealias Run = ProductRunner.Run

    /// Runs `chapterNN` with `arguments`, capturing both streams.
    static func run(_ number: String, _ arguments: [String]) throws -> Run {
        try ProductRunner.run("chapter\(number)", arguments)
    }
}
