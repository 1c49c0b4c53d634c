import Foundation
import Matrices
import Testing
@testable import Notebook

/// A notebook whose terminal output is captured instead of printed.
final class Transcript: @unchecked Sendable {
    var lines: [String] = []
}

func notebook(markdown: Bool = false, source: String = #filePath) -> (Notebook, Transcript) {
    let transcript = Transcript()
    let nb = Notebook(title: "Test", command: "test", destination: markdown ? .markdown : .terminal,
                      sourcePath: source) { transcript.lines.append($0) }
    return (nb, transcript)
}

@Suite struct NotebookChecks {
    @Test func holdingCheckPrintsTickAndMeasuredError() throws {
        let (nb, out) = notebook()
        let a = Matrix<Double>([[1, 2], [3, 4]])
        // 2 + 2⁻⁴⁶ is exact, so the error is 2⁻⁴⁶ / 4 = 3.55e-15 relative to max |a| = 4.
        let held = nb.check("a = a + tiny", a, a + Matrix([[0, 0x1p-46], [0, 0]]), tolerance: .relative(1e-12))
        #expect(held)
        #expect(out.lines.last == "✓ a = a + tiny — max relative error 3.6e-15 ≤ 1.0e-12")
        #expect(try nb.conclude())
        #expect(out.lines.last == "All 1 checks hold.")
    }

    @Test func failingCheckPrintsCrossWhereAndTolerance() throws {
        let (nb, out) = notebook()
        let got = Matrix<Double>([[1, 2], [3, 4]])
        let expected = Matrix<Double>([[1, 2], [3, 5]])
        #expect(!nb.check("off by one", got, expected, tolerance: .absolute(1e-12)))
        let line = try #require(out.lines.last)
        #expect(line.hasPrefix("✗ off by one — max |Δ| 1.0e+00 > 1.0e-12; worst at [1, 1]"))
        #expect(nb.failures.count == 1)
        #expect(try nb.conclude() == false)
        #expect(out.lines.last == "1 of 1 checks FAILED.")
    }

    @Test func shapeMismatchFailsTheCheckRatherThanTrapping() {
        let (nb, out) = notebook()
        #expect(!nb.check("shapes", Matrix<Double>(rows: 2, columns: 1), Matrix<Double>(rows: 1, columns: 2),
                          tolerance: .relative(1)))
        #expect(out.lines.last?.contains("shapes differ: got 2×1, expected 1×2") == true)
    }

    @Test func nanNeverPassesACheck() {
        let (nb, _) = notebook()
        #expect(!nb.check("nan", Matrix<Double>([[.nan]]), Matrix<Double>([[1]]), tolerance: .absolute(1e300)))
        #expect(!nb.check("nan reference", Matrix<Double>([[1]]), Matrix<Double>([[.nan]]), tolerance: .relative(1e300)))
    }

    @Test func factChecksCount() throws {
        let (nb, _) = notebook()
        nb.check("true", true, "detail")
        nb.check("false", false, "detail")
        #expect(nb.checkCount == 2 && nb.failures == ["false: detail"])
    }
}

@Suite struct NotebookPages {
    /// This file is the "chapter": the page must show the code between the markup calls below.
    func narrate(_ nb: Notebook) {
        nb.section("Alpha")
        let x = Matrix<Double>([[1.5]])
        nb.show("x", x)
        nb.equation("x = 1.5", latex: "x = 1.5")
        nb.say("done")
    }

    @Test func pageInterleavesProseCodeAndOutput() throws {
        let (nb, out) = notebook(markdown: true)
        narrate(nb)
        #expect(out.lines.isEmpty, "markdown mode must not stream terminal text")
        let page = try nb.renderPage()
        let expected = """
            ## Alpha

            ```swift
            let x = Matrix<Double>([[1.5]])
            nb.show("x", x)
            ```

            ```text
            x (1×1):
              1.5000
            ```

            $$
            x = 1.5
            $$

            ```swift
            nb.say("done")
            ```

            ```text
            done
            ```

            """
        #expect(page.hasSuffix(expected), "page was:\n\(page)")
        #expect(page.hasPrefix("# Test\n"))
    }

    @Test func renderingTwiceGivesIdenticalBytes() throws {
        let (a, _) = notebook(markdown: true)
        let (b, _) = notebook(markdown: true)
        narrate(a)
        narrate(b)
        #expect(try a.renderPage() == b.renderPage())
    }

    @Test func missingSourceIsAClearError() {
        let (nb, _) = notebook(markdown: true, source: "/nonexistent/main.swift")
        nb.prose("x", file: "/nonexistent/Sections/Intro.swift")
        #expect(throws: NotebookError.self) { try nb.renderPage() }
    }

    /// A chapter whose sections are functions in other files: each markup call's code comes from
    /// the file it is written in.
    @Test func aPageSlicesEachMarkupCallFromItsOwnFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("notebook-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("Sections"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let main = folder.appendingPathComponent("main.swift").path
        let section = folder.appendingPathComponent("Sections/First.swift").path
        try "func narrate(_ nb: Notebook) throws {\n    nb.prose(\"Intro\")\n    try first(nb)\n}\n"
            .write(toFile: main, atomically: true, encoding: .utf8)
        try "extension C {\n    func first(_ nb: Notebook) throws {\n        nb.section(\"First\")\n        nb.say(\"1\")\n    }\n}\n"
            .write(toFile: section, atomically: true, encoding: .utf8)
        let (nb, _) = notebook(markdown: true, source: main)
        nb.prose("Intro", file: main, line: 2)
        nb.section("First", file: section, line: 3)
        nb.say("1")
        let page = try nb.renderPage()
        #expect(page.hasSuffix("""
            Intro

            ```swift
            try first(nb)
            ```

            ## First

            ```swift
            nb.say("1")
            ```

            ```text
            1
            ```

            """), "page was:\n\(page)")
    }

    @Test func terminalShowsProseEquationAndOutput() {
        let (nb, out) = notebook()
        narrate(nb)
        #expect(out.lines.contains("── Alpha " + String(repeating: "─", count: 71)))
        #expect(out.lines.contains("    x = 1.5"))
        #expect(out.lines.contains("  1.5000"))
    }
}
