import Matrices
import Testing
@testable import Notebook

/// `nb.figure`: the path and caption in the terminal, the image and caption on the page, and the
/// code after it sliced like any other markup call's.
@Suite struct FigureMarkupTests {
    /// This file is the "chapter" (its source is what the page shows).
    func narrate(_ nb: Notebook) {
        nb.section("Graphs")
        nb.figure("Figures/parallel.png", caption: """
            The parallel form (a caption with (parentheses) and "quotes").
            Second line.
            """)
        let x = Matrix<Double>([[2]])
        nb.show("x", x)
    }

    @Test func thePageShowsTheImageTheCaptionAndTheCodeAfterIt() throws {
        let (nb, _) = notebook(markdown: true)
        narrate(nb)
        let page = try nb.renderPage()
        let expected = """
            ## Graphs

            ![Figure: parallel](../../Figures/parallel.png)

            *Figure: The parallel form (a caption with (parentheses) and "quotes").
            Second line.*

            ```swift
            let x = Matrix<Double>([[2]])
            nb.show("x", x)
            ```

            ```text
            x (1×1):
              2.0000
            ```

            """
        #expect(page.hasSuffix(expected), "page was:\n\(page)")
    }

    @Test func theTerminalShowsThePathAndTheCaption() {
        let (nb, out) = notebook()
        narrate(nb)
        let at = out.lines.firstIndex(of: "Figure — Figures/parallel.png")
        #expect(at != nil, "\(out.lines)")
        if let at {
            #expect(Array(out.lines[(at + 1)...].prefix(2))
                    == ["The parallel form (a caption with (parentheses) and \"quotes\").", "Second line."])
        }
        // The figure exists in the package, so no reminder to generate it.
        #expect(!out.lines.contains { $0.contains("not generated yet") })
    }

    @Test func aMissingFigureIsPointedOutInTheTerminal() {
        let (nb, out) = notebook()
        nb.figure("Figures/no-such-figure.png", caption: "missing")
        #expect(out.lines.suffix(3) == ["Figure — Figures/no-such-figure.png", "missing",
                                         "  (not generated yet: run `swift run figures`)"])
    }

    @Test func linksAndAlternativeTextAreEscaped() {
        #expect(PageRenderer.figure(path: "Figures/a b (1).png", caption: "c")
                == "![Figure: a b (1)](<../../Figures/a b (1).png>)\n\n*Figure: c*")
        #expect(PageRenderer.figure(path: "Figures/x[1]\\y.svg", caption: "c")
                == "![Figure: x\\[1\\]\\\\y](../../Figures/x[1]\\y.svg)\n\n*Figure: c*")
    }

    /// A figure is markup like any other: it must run in source order with the rest.
    @Test func aFigureOutOfSourceOrderIsAnError() {
        let (nb, _) = notebook(markdown: true)
        nb.figure("Figures/b.png", caption: "runs first", line: 20)
        nb.section("runs second but sits above it", line: 10)
        #expect(throws: SourceSlicer.SliceError.self) { try nb.renderPage() }
    }
}
