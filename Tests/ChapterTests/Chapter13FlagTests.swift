import Foundation
import TestSupport
import Testing

/// `chapter13 --full-run` is a measurement (never on a page, never in a debug build), and the
/// grid's flags are bounded: each refusal a usage error before anything is trained.
@Suite struct Chapter13FlagTests {
    @Test(arguments: [
        (["--full-run", "--markdown"], "cannot go on a page"),
        (["--widths", "0"], "--widths"),
        (["--widths", "1000000000"], "--widths"),
        (["--pairs", "65"], "--pairs"),
        (["--learning-rates", "0"], "--learning-rates"),
        (["--steps", "10"], "--steps"),
        (["--full-run-vocabulary", "2"], "--full-run-vocabulary"),
    ])
    func refusedFlags(arguments: [String], message: String) throws {
        let run = try Chapter.run("13", arguments)
        #expect(run.status == 64, "exit \(run.status) for \(arguments): \(run.stderr)")
        #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    #if DEBUG
    @Test func aDebugBuildRefusesTheFullRun() throws {
        let run = try Chapter.run("13", ["--full-run", "--full-run-steps", "1"])
        #expect(run.status == 64, "exit \(run.status): \(run.stderr)")
        #expect(run.stderr.contains("swift run -c release chapter13 --full-run"), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }
    #endif
}
