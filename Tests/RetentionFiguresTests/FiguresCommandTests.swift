import Foundation
import TestSupport
import Testing

/// `swift run figures`: writes every figure, reproduces the committed DOT files byte for byte,
/// and fails clearly (non-zero exit, a message naming the problem) on bad input.
@Suite struct FiguresCommandTests {
    /// Runs the built `figures` executable.
    func figures(_ arguments: [String]) throws -> ProductRunner.Run {
        try ProductRunner.run("figures", arguments)
    }

    func scratch(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("figures-tests-\(getpid())-\(name)").path
    }

    @Test func theDefaultsReproduceTheCommittedFigures() throws {
        let dir = scratch("defaults")
        let run = try figures(["--output", dir])
        #expect(run.status == 0, "\(run.stderr)")
        for name in ["parallel", "recurrent", "chunkwise", "msr", "block", "parallel-backward"] {
            let dot = try String(contentsOfFile: "\(dir)/\(name).dot", encoding: .utf8)
            let committed = try String(contentsOf: PackagePaths.url("Figures/\(name).dot"), encoding: .utf8)
            #expect(dot == committed, "Figures/\(name).dot is stale: run `swift run figures` and commit")
            let svg = try String(contentsOfFile: "\(dir)/\(name).svg", encoding: .utf8)
            #expect(svg.contains("<svg") && svg.hasSuffix("</svg>\n"))
            let png = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(name).png"))
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        }
    }

    @Test func anUnknownFormatIsAUsageError() throws {
        let run = try figures(["--output", scratch("gif"), "--format", "gif"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("Error:") && run.stderr.contains("gif") && run.stderr.contains("'dot', 'svg'"),
                "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch("gif")))
    }

    @Test func anUnwritableOutputFolderIsAClearError() throws {
        // A regular file where the folder should be: fails for every user, root included.
        let blocker = scratch("blocker")
        try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
        let run = try figures(["--output", blocker + "/figures", "--format", "dot"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("Error: cannot create the output folder \(blocker)/figures:"), "\(run.stderr)")
        #expect(!run.stderr.contains("Fatal error"))
    }

    @Test(arguments: [["--length", "0"], ["--chunk-size", "0"], ["--dim", "5"], ["--value-dim", "0"], ["--length", "x"],
                      ["--heads", "0"], ["--heads", "5"]])
    func badSizesAreUsageErrors(arguments: [String]) throws {
        let run = try figures(["--output", scratch("sizes")] + arguments)
        #expect(run.status == 64, "exit \(run.status) for \(arguments)")
        #expect(run.stderr.contains("Error:"))
    }

    @Test func otherSizesAreAccepted() throws {
        let dir = scratch("sizes-ok")
        let run = try figures(["--output", dir, "--format", "dot", "--length", "3", "--chunkwise-length", "7",
                               "--chunk-size", "2"])
        #expect(run.status == 0, "\(run.stderr)")
        let chunkwise = try String(contentsOfFile: "\(dir)/chunkwise.dot", encoding: .utf8)
        #expect(chunkwise.contains("chunk 3 · row 6") && !chunkwise.contains("chunk 4"))
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/chunkwise.png"))
        let run3 = try figures(["--output", dir, "--format", "dot", "--heads", "3"])
        #expect(run3.status == 0, "\(run3.stderr)")
        let msr = try String(contentsOfFile: "\(dir)/msr.dot", encoding: .utf8)
        #expect(msr.contains("head 2 · γ₂ = 0.9921875") && !msr.contains("head 3"))
    }
}
