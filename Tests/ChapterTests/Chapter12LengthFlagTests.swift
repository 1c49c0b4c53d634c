import Foundation
import TestSupport
import Testing

/// `chapter12 --length-generalisation` is a measurement (never on a page, never in a debug
/// build), and its flags are bounded: each refusal a usage error before anything is trained.
@Suite struct Chapter12LengthFlagTests {
    @Test(arguments: [
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
    @Test(arguments: [(["--length-generalisation", "--length-steps", "4"], "swift run -c release chapter12 --length-generalisation"),
                      (["--redraw-figures"], "swift run -c release chapter12 --redraw-figures")])
    func aDebugBuildRefuses(arguments: [String], message: String) throws {
        let run = try Chapter.run("12", arguments)
        #expect(run.status == 64, "exit \(run.status): \(run.stderr)")
        #expect(run.stderr.contains(message), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }
    #endif
}
