import Testing
@testable import Notebook

@Suite struct SourceSlicerTests {
    let source = """
        func narrate(_ nb: Notebook) {
            nb.prose(\"""
                Text with (unbalanced parens and a ) inside
                \""")
            let a = 1  // a comment with ( a paren
            nb.equation("a = (1)", latex: #"a = (1)"#)
            nb.say("\\(a)")

            nb.section("Next")
        }
        main()
        """

    @Test func codeBetweenMarkupCallsIsSlicedAndDedented() throws {
        let blocks = try SourceSlicer(source: source).codeBlocks(after: [2, 6, 9])
        #expect(blocks == ["let a = 1  // a comment with ( a paren", "nb.say(\"\\(a)\")", ""])
    }

    @Test func endOfCallSkipsStringsAndComments() throws {
        let slicer = SourceSlicer(source: source)
        #expect(try slicer.endOfCall(startingAt: 1) == 3)  // the closing """ line, 0-based
        #expect(try slicer.endOfCall(startingAt: 5) == 5)
    }

    @Test func markupOutOfSourceOrderIsAnError() {
        #expect(throws: SourceSlicer.SliceError.self) {
            try SourceSlicer(source: source).codeBlocks(after: [6, 2])
        }
        #expect(throws: SourceSlicer.SliceError.self) {
            try SourceSlicer(source: source).codeBlocks(after: [2, 2])
        }
    }

    @Test func markupLineOutsideTheSourceIsAnError() {
        #expect(throws: SourceSlicer.SliceError.self) {
            try SourceSlicer(source: source).codeBlocks(after: [2, 400])
        }
    }

    @Test func unbalancedCallIsAnErrorNotAHang() {
        #expect(throws: SourceSlicer.SliceError.self) {
            try SourceSlicer(source: "    nb.prose(\"x\"\n    let y = 2\n").codeBlocks(after: [1])
        }
    }

    @Test func codeBeforeAFunctionsFirstMarkupIsAnError() {
        let source = """
            func narrate(_ nb: Notebook) {
                let hidden = 1
                nb.prose("x")
            }
            """
        #expect(throws: SourceSlicer.SliceError.self) { try SourceSlicer(source: source).codeBlocks(after: [3]) }
    }
}

/// A chapter in several files: `main.swift` introduces it and calls one function per section,
/// written in `Sections/…swift` files, possibly two in one file.
@Suite struct MultiFileSlicingTests {
    let main = SourceSlicer(source: """
        struct Chapter {
            func narrate(_ nb: Notebook) throws {
                nb.prose("Introduction")
                let x = try first(nb)
                try second(nb, x)
            }
        }
        """)
    let sections = SourceSlicer(source: """
        extension Chapter {
            /// The first section.
            func first(_ nb: Notebook) throws -> Int {
                nb.section("First")
                let x = 1
                nb.say("\\(x)")
                nb.prose("More")
                return x
            }

            func second(_ nb: Notebook, _ x: Int) throws {
                nb.section("Second")
                nb.say("\\(x + 1)")
            }

            func helper() -> Int { 3 }
        }
        """)

    func at(_ file: String, _ line: Int) -> MarkupLocation { MarkupLocation(file: file, line: line) }

    @Test func eachFunctionIsSlicedFromItsOwnFileInTheOrderItRan() throws {
        let blocks = try SourceSlicer.codeBlocks(
            after: [at("main", 3), at("sections", 4), at("sections", 7), at("sections", 12)],
            in: ["main": main, "sections": sections])
        #expect(blocks == [
            "let x = try first(nb)\ntry second(nb, x)",
            "let x = 1\nnb.say(\"\\(x)\")",
            "return x",
            "nb.say(\"\\(x + 1)\")",
        ])
    }

    @Test func markupInterleavedWithAnotherFilesIsAnError() {
        // main.swift's narrate would hold markup after calling a section: the code shown after its
        // first markup would then include code that ran after the section's markup.
        let interleaved = SourceSlicer(source: """
            func narrate(_ nb: Notebook) throws {
                nb.prose("Introduction")
                let x = try first(nb)
                nb.prose("Back in main")
            }
            """)
        #expect(throws: SourceSlicer.SliceError.self) {
            try SourceSlicer.codeBlocks(after: [at("main", 2), at("sections", 4), at("main", 4)],
                                        in: ["main": interleaved, "sections": sections])
        }
    }

    @Test func eachFileMustRunInSourceOrder() {
        #expect(throws: SourceSlicer.SliceError.self) {
            try SourceSlicer.codeBlocks(after: [at("main", 3), at("sections", 12), at("sections", 4)],
                                        in: ["main": main, "sections": sections])
        }
    }

    @Test func aFileWithoutSourceIsAnError() {
        #expect(throws: SourceSlicer.SliceError.self) {
            try SourceSlicer.codeBlocks(after: [at("main", 3), at("elsewhere", 4)], in: ["main": main])
        }
    }
}
