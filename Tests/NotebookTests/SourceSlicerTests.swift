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
}
