import ArgumentParser
import Foundation

/// `swift run pages`: regenerates every chapter's notebook page, or with `--check` verifies
/// that the committed pages are what the chapters print now.
///
/// The chapters must be built first (`swift build`); this command runs the executables that sit
/// beside it in the build folder, in chapter order, each with `--write-page` (or `--markdown`).
struct Pages: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pages",
        abstract: "Regenerate (or check) the notebook pages in Chapters/ from the built chapter executables.",
        discussion: "Build first with `swift build`; then `swift run pages` rewrites Chapters/*/README.md.")

    @Flag(help: "Do not write: compare each chapter's page with the committed README.md and fail on any difference.")
    var check = false

    @Option(help: "The package root holding Chapters/ (default: the current directory).")
    var root: String = FileManager.default.currentDirectoryPath

    func run() throws {
        let binDir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let chaptersDir = URL(fileURLWithPath: root).appendingPathComponent("Chapters")
        guard let folders = try? FileManager.default.contentsOfDirectory(atPath: chaptersDir.path) else {
            throw ValidationError("No Chapters/ folder under \(root); run from the package root or pass --root.")
        }
        let chapters = folders.sorted().compactMap { folder -> (folder: String, number: String)? in
            let number = String(folder.prefix(2))
            return folder.count > 3 && number.allSatisfy(\.isNumber) ? (folder, number) : nil
        }
        var stale: [String] = []
        for chapter in chapters {
            let executable = binDir.appendingPathComponent("chapter\(chapter.number)")
            guard FileManager.default.isExecutableFile(atPath: executable.path) else {
                throw ValidationError("\(executable.path) is not built; run `swift build` first.")
            }
            let page = chaptersDir.appendingPathComponent(chapter.folder).appendingPathComponent("README.md")
            let (status, output) = try runCapturing(executable, [check ? "--markdown" : "--write-page"])
            if status != 0 {
                FileHandle.standardError.write(Data("chapter\(chapter.number) exited with status \(status)\n".utf8))
            }
            if check {
                let committed = (try? Data(contentsOf: page)) ?? Data()
                if committed != output {
                    stale.append(page.path)
                    print("✗ \(chapter.folder)/README.md is stale: run `swift build && swift run pages` and commit")
                } else {
                    print("✓ \(chapter.folder)/README.md is up to date")
                }
            } else if status == 0 {
                print("wrote \(chapter.folder)/README.md")
            }
            if status != 0 { throw ExitCode.failure }
        }
        if !stale.isEmpty { throw ExitCode.failure }
    }

    /// Runs `executable` and returns its exit status and standard output (stderr passes through).
    private func runCapturing(_ executable: URL, _ arguments: [String]) throws -> (Int32, Data) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, data)
    }
}

Pages.main()
