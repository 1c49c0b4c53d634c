extension Notebook {
    /// True when this run writes a notebook page (`--markdown` or `--write-page`) rather than
    /// the terminal walkthrough.
    public var writesPage: Bool { destination != .terminal }

    /// A line that reports a measurement — a time, a speed — which differs from run to run and
    /// machine to machine. The terminal shows `text`; a page shows `placeholder` instead, so
    /// pages stay exact transcripts that regenerate byte for byte. `text` is evaluated only when
    /// it is shown, so a page run does not spend time measuring.
    public func measured(_ text: @autoclosure () throws -> String, onPage placeholder: String) rethrows {
        say(writesPage ? placeholder : try text())
    }

    /// A measured table (headers and rows, columns right-aligned like `table`): shown in the
    /// terminal; on a page, `placeholder` takes its place. The rows are computed only when shown.
    public func measuredTable(_ headers: [String], _ rows: @autoclosure () throws -> [[String]],
                              onPage placeholder: String) rethrows {
        guard !writesPage else { return say(placeholder) }
        let cells = [headers] + (try rows())
        let widths = headers.indices.map { c in cells.map { $0.indices.contains(c) ? $0[c].count : 0 }.max() ?? 0 }
        let line = { (row: [String]) in
            zip(row, widths).map { cell, width in String(repeating: " ", count: width - cell.count) + cell }
                .joined(separator: " │ ")
        }
        let rule = widths.map { String(repeating: "─", count: $0) }.joined(separator: "─┼─")
        say(([line(headers), rule] + cells.dropFirst().map(line)).joined(separator: "\n"))
    }
}
