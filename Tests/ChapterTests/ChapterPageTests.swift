import Foundation
import TestSupport
import Testing

/// Every chapter runs, exits 0, and prints exactly its committed notebook page: the pages in
/// Chapters/ are transcripts of real runs and cannot go stale without this test failing.
@Suite struct ChapterPageTests {
    @Test func everyChapterHasAFolderAndThereAreAtLeastTwo() {
        #expect(Chapter.all.count >= 2, "chapters found under \(PackagePaths.url("Chapters").path): \(Chapter.all.map(\.folder))")
    }

    @Test(arguments: Chapter.all.map(\.number))
    func chapterRunsAndMatchesItsCommittedPage(number: String) throws {
        let chapter = try #require(Chapter.all.first { $0.number == number })
        let folder = chapter.folder
        let run = try Chapter.run(number, ["--markdown"])
        #expect(run.status == 0, "chapter\(number) exited \(run.status): \(run.stderr)")
        let committed = try String(contentsOf: chapter.page, encoding: .utf8)
        if run.stdout != committed {
            let produced = run.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            let saved = committed.split(separator: "\n", omittingEmptySubsequences: false)
            let firstDifference = zip(produced, saved).enumerated().first { $0.element.0 != $0.element.1 }
            let where_ = firstDifference.map { "line \($0.offset + 1): now «\($0.element.0)», committed «\($0.element.1)»" }
                ?? "lengths differ: \(produced.count) lines now, \(saved.count) committed"
            Issue.record("Chapters/\(folder)/README.md is stale (\(where_)); run `swift build && swift run pages`")
        }
    }

    @Test(arguments: Chapter.all.map(\.number))
    func terminalWalkthroughEndsWithTheTally(number: String) throws {
        let run = try Chapter.run(number, [])
        #expect(run.status == 0, "chapter\(number) exited \(run.status): \(run.stderr)")
        let last = run.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("All ") && last.hasSuffix(" checks hold."), "last line: \(last)")
        #expect(!run.stdout.contains("✗"))
    }
}

/// A broken derivation step must make its chapter fail loudly: ✗, the error, non-zero exit.
@Suite struct BrokenStepTests {
    @Test func offByOneInTheUnrolledSumFailsChapter01() throws {
        let run = try Chapter.run("01", ["--break-step", "unrolled-exponent"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("✗ recurrence = unrolled sum, every step — max relative error"))
        #expect(run.stderr.contains("1 of 6 checks FAILED."))
        #expect(run.stderr.contains("✗ recurrence = unrolled sum"))
    }
}

/// Bad command lines get ArgumentParser's message and a non-zero exit, never a trap.
@Suite struct ChapterFlagTests {
    @Test(arguments: [
        ["--seed", "x"], ["--length", "0"], ["--length", "-3"], ["--dim", "0"], ["--no-such-flag"],
        ["--markdown", "--write-page"],
    ])
    func badFlagsAreRejectedClearly(arguments: [String]) throws {
        let run = try Chapter.run("01", arguments)
        #expect(run.status == 64, "exit \(run.status) for \(arguments)")  // EX_USAGE
        #expect(run.stderr.contains("Error:"), "stderr: \(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test(arguments: [["--dim", "3"], ["--gamma", "0"], ["--gamma", "1.5"], ["--gamma", "nan"]])
    func chapter02RejectsOddDimensionsAndBadDecay(arguments: [String]) throws {
        let run = try Chapter.run("02", arguments)
        #expect(run.status == 64, "exit \(run.status) for \(arguments)")
        #expect(run.stderr.contains("Error:"))
    }

    @Test func helpListsTheFlags() throws {
        let run = try Chapter.run("01", ["--help"])
        #expect(run.status == 0)
        for flag in ["--length", "--dim", "--seed", "--markdown", "--write-page"] {
            #expect(run.stdout.contains(flag), "--help lacks \(flag)")
        }
    }
}

/// The chunkwise chapter must catch the ζ that readers of Eq. 7 most often get wrong.
@Suite struct WrongZetaTests {
    @Test func wrongZetaFailsChapter05Loudly() throws {
        let run = try Chapter.run("05", ["--break-step", "zeta"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("✗ chunkwise (B = 4) = parallel form — max relative error"))
        #expect(run.stderr.contains("checks FAILED."))
    }

    @Test func theDoneWhenCommandsPass() throws {
        for (number, extra) in [("03", [String]()), ("04", []), ("05", ["--chunk-size", "5"])] {
            let run = try Chapter.run(number, ["--length", "37", "--seed", "5"] + extra)
            #expect(run.status == 0, "chapter\(number) --length 37 --seed 5 \(extra): \(run.stderr)")
            #expect(run.stdout.contains("✓") && !run.stdout.contains("✗"))
        }
    }

    @Test(arguments: [["--chunk-size", "0"], ["--chunk-size", "-1"], ["--gamma", "0"], ["--gamma", "1.01"],
                      ["--dim", "5"], ["--length", "0"]])
    func chapter05RejectsBadFlags(arguments: [String]) throws {
        let run = try Chapter.run("05", arguments)
        #expect(run.status == 64, "exit \(run.status) for \(arguments)")
        #expect(run.stderr.contains("Error:"))
    }
}

/// Chapters 06 and 07 validate their flags as the others do: ArgumentParser's message, exit 64.
@Suite struct ModelChapterFlagTests {
    @Test(arguments: [["--heads", "3"], ["--dim", "12", "--heads", "4"], ["--value-dim", "30", "--heads", "4"],
                      ["--chunk-size", "0"], ["--eps", "0"], ["--eps", "-1"], ["--length", "1"], ["--seed", "-2"]])
    func chapter06RejectsBadFlags(arguments: [String]) throws {
        let run = try Chapter.run("06", arguments)
        #expect(run.status == 64, "exit \(run.status) for \(arguments): \(run.stderr)")
        #expect(run.stderr.contains("Error:"))
        #expect(run.stdout.isEmpty)
    }

    @Test(arguments: [["--prompt", "Hello"], ["--prompt", ""], ["--generate", "0"], ["--chunk-size", "0"],
                      ["--temperature", "0"], ["--temperature", "inf"]])
    func chapter07RejectsBadFlags(arguments: [String]) throws {
        let run = try Chapter.run("07", arguments)
        #expect(run.status == 64, "exit \(run.status) for \(arguments): \(run.stderr)")
        #expect(run.stderr.contains("Error:"))
        #expect(run.stdout.isEmpty)
    }

    @Test func chapter07WithAMissingCheckpointFailsClearly() throws {
        let run = try Chapter.run("07", ["--checkpoint", "/nonexistent"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("config.json not found"), "stderr: \(run.stderr)")
    }

    @Test func chaptersRunWithOtherSizes() throws {
        for (number, arguments) in [("06", ["--heads", "2", "--dim", "8", "--value-dim", "6", "--length", "9", "--chunk-size", "4"]),
                                    // One chunk (B ≥ n): torchscale's chunkwise mode is then its parallel mode.
                                    ("06", ["--length", "17", "--dim", "2", "--heads", "1", "--value-dim", "2", "--chunk-size", "17"]),
                                    ("06", ["--length", "2", "--chunk-size", "3"]),
                                    ("07", ["--prompt", "abc", "--generate", "3", "--chunk-size", "2", "--seed", "1"])] {
            let run = try Chapter.run(number, arguments)
            #expect(run.status == 0, "chapter\(number) \(arguments): \(run.stderr)")
            #expect(!run.stdout.contains("✗"))
        }
    }
}

/// `chapter11 --full-run` is a measurement: never on a page, never in a debug build, never with
/// a step count out of range or a seed twice — each a usage error before anything is trained.
@Suite struct FullRunFlagTests {
    @Test(arguments: [
        (["--full-run", "--markdown"], "cannot go on a page"),
        (["--full-run", "--write-page"], "cannot go on a page"),
        (["--full-run-iterations", "0"], "--full-run-iterations"),
        (["--full-run-seeds", "7", "7"], "repeats a seed"),
        (["--full-run-seeds"] + (1...9).map(String.init), "--full-run-seeds (how many) must be in 1...8, got 9"),
        (["--full-run", "--redraw-figures"], "choose one"),
        (["--redraw-figures", "--markdown"], "cannot go on a page"),
    ])
    func refusedFlags(arguments: [String], message: String) throws {
        let run = try Chapter.run("11", arguments)
        #expect(run.status == 64, "exit \(run.status) for \(arguments): \(run.stderr)")
        #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    #if DEBUG
    @Test func aDebugBuildRefusesTheFullRun() throws {
        let run = try Chapter.run("11", ["--full-run", "--full-run-iterations", "1"])
        #expect(run.status == 64, "exit \(run.status): \(run.stderr)")
        #expect(run.stderr.contains("swift run -c release chapter11 --full-run"), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }
    #endif
}

/// `chapter12 --measure` and `--length-generalisation` are measurements, and their flags have
/// bounds: each refusal a usage error naming the numbers, before anything is trained.
@Suite struct LongSequenceFlagTests {
    @Test(arguments: [
        (["--measure", "--markdown"], "cannot go on a page"),
        (["--chunk-size", "0"], "--chunk-size must be in 8...1024"),
        (["--chunk-size", "200", "--length", "128"], "--chunk-size 200 is longer than --length 128"),
        (["--length", "2000000"], "--length must be in 64...1024"),
        (["--length-generalisation", "--markdown"], "cannot go on a page"),
        (["--redraw-figures", "--write-page"], "cannot go on a page"),
        (["--length-generalisation", "--measure"], "separate runs"),
        (["--length-generalisation", "--redraw-figures"], "separate runs"),
        (["--length-steps", "0"], "--length-steps must be in 4...100000"),
        (["--length-steps", "1000000000"], "--length-steps must be in 4...100000"),
        (["--length-steps", "10"], "--length-steps must be a multiple of 4"),
        (["--length-windows", "0"], "--length-windows must be in 1...1000"),
        (["--length-windows", "-3"], "--length-windows"),
    ])
    func refusedFlags(arguments: [String], message: String) throws {
        let run = try Chapter.run("12", arguments)
        #expect(run.status == 64, "exit \(run.status) for \(arguments): \(run.stderr)")
        #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    #if DEBUG
    @Test(arguments: [(["--measure"], "swift run -c release chapter12 --measure"),
                      (["--length-generalisation", "--length-steps", "4"], "swift run -c release chapter12 --length-generalisation"),
                      (["--redraw-figures"], "swift run -c release chapter12 --redraw-figures")])
    func aDebugBuildRefusesToMeasure(arguments: [String], message: String) throws {
        let run = try Chapter.run("12", arguments)
        #expect(run.status == 64, "exit \(run.status): \(run.stderr)")
        #expect(run.stderr.contains(message), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }
    #endif
}
