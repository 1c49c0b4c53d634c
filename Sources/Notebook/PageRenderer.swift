/// Renders a chapter's records as a Markdown notebook page: for each piece of prose, the
/// code that follows it in the chapter's source (in the file the prose is written in), then what
/// that code printed.
///
/// Output is assigned by when it was printed, not where: everything printed after markup k
/// and before markup k+1 appears under the code that follows markup k. Pages are therefore
/// exact transcripts of a run, and regenerating one twice gives identical bytes.
struct PageRenderer {
    /// The source files the markup calls are written in, by path, each ready to slice.
    let slicers: [String: SourceSlicer]

    init(sources: [String: String]) {
        slicers = sources.mapValues { SourceSlicer(source: $0) }
    }

    func render(title: String, command: String, records: [Record]) throws -> String {
        let calls = records.compactMap { record -> MarkupLocation? in
            if case .markup(_, let at) = record { return at }
            return nil
        }
        let code = try SourceSlicer.codeBlocks(after: calls, in: slicers)
        var page: [String] = [
            "# \(title)",
            "",
            "> This page is generated: `swift run \(command) --write-page` runs the chapter and writes it.",
            "> The code is the chapter's source; every output block is what that code printed, and every ✓",
            "> is a check that ran. Run `swift run \(command)` to follow it in a terminal.",
        ]
        var pendingOutput: [String] = []
        func flushOutput() {
            guard !pendingOutput.isEmpty else { return }
            page += ["", "```text"] + pendingOutput + ["```"]
            pendingOutput = []
        }
        var markupIndex = 0
        for record in records {
            switch record {
            case .output(let lines):
                pendingOutput += lines
            case .markup(let markup, _):
                flushOutput()
                page += ["", markdown(markup)]
                let block = code[markupIndex]
                if !block.isEmpty { page += ["", "```swift", block, "```"] }
                markupIndex += 1
            }
        }
        flushOutput()
        return page.joined(separator: "\n") + "\n"
    }

    private func markdown(_ markup: Markup) -> String {
        switch markup {
        case .section(let title): "## \(title)"
        case .prose(let text): text
        case .equation(_, let latex): "$$\n\(latex)\n$$"
        case .figure(let path, let caption): Self.figure(path: path, caption: caption)
        }
    }

    /// The image, linked relative to the page (Chapters/NN-slug/README.md, two folders below the
    /// package root) with "Figure: name" as its alternative text, then the caption (Markdown, like
    /// prose) in italics. A path with spaces, parentheses or angle brackets is written in angle
    /// brackets, as CommonMark requires; brackets and backslashes in the name are escaped.
    static func figure(path: String, caption: String) -> String {
        let name = path.split(separator: "/").last.map { String($0.split(separator: ".").first ?? $0) } ?? path
        let alt = "Figure: " + name.replacingAll("\\", with: "\\\\").replacingAll("[", with: "\\[")
            .replacingAll("]", with: "\\]")
        let target = "../../" + path
        let link = target.contains { " ()<>".contains($0) } ? "<\(target.replacingAll(">", with: "%3E"))>" : target
        return "![\(alt)](\(link))\n\n*Figure: \(caption)*"
    }
}

extension String {
    /// Every occurrence of `target` replaced by `replacement`.
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
