import ArgumentParser
import ChapterSupport
import Notebook
import Testing

@Suite struct ChapterNotebookTests {
    @Test func pageFlagsChooseTheDestination() throws {
        #expect(try PageOptions.parse([]).destination == .terminal)
        #expect(try PageOptions.parse(["--markdown"]).destination == .markdown)
        #expect(try PageOptions.parse(["--write-page"]).destination == .pageFile)
        #expect(throws: (any Error).self) { try PageOptions.parse(["--markdown", "--write-page"]) }
    }

    @Test func finishExitsNonZeroOnlyWhenACheckFailed() throws {
        let options = try PageOptions.parse([])
        let passing = Notebook(title: "T", command: "t", options: options) { _ in }
        passing.check("holds", true, "detail")
        try passing.finish()

        let failing = Notebook(title: "T", command: "t", options: options) { _ in }
        failing.check("fails", false, "detail")
        #expect(throws: ExitCode.failure) { try failing.finish() }
    }
}
