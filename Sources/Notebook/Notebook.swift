import Foundation
import Matrices

/// A chapter's notebook: the prose, equations, printed results and checks of one walkthrough.
///
/// In the terminal, everything is printed as it happens. When the destination is a page
/// (a chapter's `--markdown` or `--write-page`) the same records become a Markdown page that interleaves them with the chapter's own source
/// code (see `PageRenderer`), so the page always shows the code that really ran and what it
/// really printed.
///
/// Every claim is a `check`. A failed check prints ✗ with the error, where it occurred and the
/// tolerance, and ``conclude()`` then reports false (a chapter's `finish()` exits non-zero).
public final class Notebook {
    /// The chapter's title, e.g. "01 — A state that remembers".
    public let title: String
    /// The command that runs the chapter, e.g. "chapter01".
    public let command: String
    /// Where the notebook goes: the terminal, or a Markdown page.
    public let destination: Destination
    let sourcePath: String
    private(set) var records: [Record] = []
    /// The failed checks so far, each as "claim: detail".
    public private(set) var failures: [String] = []
    /// How many checks ran so far.
    public private(set) var checkCount = 0
    private var streams: Bool { destination == .terminal }
    private let write: (String) -> Void

    /// Starts a notebook. `sourcePath` defaults to the calling file, the chapter's `main.swift`:
    /// the page is written beside it, and the package root is two folders above it. (The code the
    /// page shows is read from the files the markup calls are written in.) `write` receives every
    /// line meant for standard output (tests capture it).
    public init(title: String, command: String, destination: Destination = .terminal, sourcePath: String = #filePath,
                write: @escaping (String) -> Void = { print($0) }) {
        self.title = title
        self.command = command
        self.destination = destination
        self.sourcePath = sourcePath
        self.write = write
        if streams { emitTerminal(["", title, String(repeating: "═", count: title.count)]) }
    }

    // MARK: - Markup: written once in the source, shown in the terminal and on the page
    //
    // Each call records where it is written (`file` and `line`, the caller's by default): the page
    // shows the code that follows it there. A chapter's narrative can so span several functions in
    // several files, e.g. `main.swift` and one `Sections/*.swift` file per section.

    /// Starts a section ("## title" on the page).
    public func section(_ title: String, file: String = #filePath, line: Int = #line) {
        add(.markup(.section(title), at: MarkupLocation(file: file, line: line)))
    }

    /// A paragraph (or several) of prose. Markdown on the page; printed as written in the terminal.
    public func prose(_ text: String, file: String = #filePath, line: Int = #line) {
        add(.markup(.prose(text), at: MarkupLocation(file: file, line: line)))
    }

    /// A displayed equation: `unicode` for the terminal, `latex` for the page.
    public func equation(_ unicode: String, latex: String, file: String = #filePath, line: Int = #line) {
        add(.markup(.equation(unicode: unicode, latex: latex), at: MarkupLocation(file: file, line: line)))
    }

    /// A figure from `Figures/` (a path relative to the package root, e.g. "Figures/parallel.png",
    /// made by `swift run figures`): its path and caption in the terminal, the image and the
    /// caption on the page (linked as `../../Figures/…`, relative to Chapters/NN-slug/README.md).
    public func figure(_ path: String, caption: String, file: String = #filePath, line: Int = #line) {
        add(.markup(.figure(path: path, caption: caption), at: MarkupLocation(file: file, line: line)))
        if streams && !FileManager.default.fileExists(atPath: packageRoot.appendingPathComponent(path).path) {
            emitTerminal(["  (not generated yet: run `swift run figures`)"])
        }
    }

    /// The package root: two folders above the chapter's source (Chapters/NN-slug/main.swift).
    private var packageRoot: URL {
        URL(fileURLWithPath: sourcePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    // MARK: - Output: what the code printed

    /// Prints lines of output.
    public func say(_ lines: String...) {
        add(.output(lines.flatMap { $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }))
    }

    /// Prints a labelled matrix with fixed digits.
    public func show<E: RealScalar>(_ label: String, _ matrix: Matrix<E>, digits: Int = 4) {
        add(.output(["\(label) (\(matrix.shape)):"] + matrix.formatted(digits: digits).map { "  " + $0 }))
    }

    /// Prints a labelled complex matrix with fixed digits.
    public func show(_ label: String, _ matrix: Matrix<Complex<Double>>, digits: Int = 4) {
        add(.output(["\(label) (\(matrix.shape)):"] + matrix.formatted(digits: digits).map { "  " + $0 }))
    }

    /// Prints a table with a header row, columns right-aligned.
    public func table(_ headers: [String], _ rows: [[String]]) {
        let cells = [headers] + rows
        let widths = headers.indices.map { c in cells.map { $0.indices.contains(c) ? $0[c].count : 0 }.max() ?? 0 }
        func line(_ row: [String]) -> String {
            row.indices.map { c in String(repeating: " ", count: widths[c] - row[c].count) + row[c] }
                .joined(separator: " │ ")
        }
        let rule = widths.map { String(repeating: "─", count: $0) }.joined(separator: "─┼─")
        add(.output([line(headers), rule] + rows.map(line)))
    }

    // MARK: - Checks

    /// Checks that `got` matches `expected` within `tolerance`; prints ✓ or ✗ with the measured error.
    @discardableResult
    public func check<E: RealScalar>(_ claim: String, _ got: Matrix<E>, _ expected: Matrix<E>,
                                     tolerance: Tolerance) -> Bool {
        guard got.shape == expected.shape else {
            return record(claim, holds: false, detail: "shapes differ: got \(got.shape), expected \(expected.shape)")
        }
        return record(claim, deviation: got.deviation(from: expected), tolerance: tolerance)
    }

    /// Checks that two complex matrices match within `tolerance` (differences by modulus).
    @discardableResult
    public func check(_ claim: String, _ got: Matrix<Complex<Double>>, _ expected: Matrix<Complex<Double>>,
                      tolerance: Tolerance) -> Bool {
        guard got.shape == expected.shape else {
            return record(claim, holds: false, detail: "shapes differ: got \(got.shape), expected \(expected.shape)")
        }
        return record(claim, deviation: got.deviation(from: expected), tolerance: tolerance)
    }

    /// Checks that a number matches its expected value within `tolerance`.
    @discardableResult
    public func check(_ claim: String, _ got: Double, _ expected: Double, tolerance: Tolerance) -> Bool {
        check(claim, Matrix(rows: 1, columns: 1, entries: [got]), Matrix(rows: 1, columns: 1, entries: [expected]),
              tolerance: tolerance)
    }

    /// Checks a fact that is true or false; `detail` says what was measured.
    @discardableResult
    public func check(_ claim: String, _ holds: Bool, _ detail: String) -> Bool {
        record(claim, holds: holds, detail: detail)
    }

    private func record(_ claim: String, deviation: Deviation, tolerance: Tolerance) -> Bool {
        let measured = tolerance.measured(deviation)
        let holds = measured <= tolerance.bound
        var detail = "\(tolerance.measureName) \(Format.scientific(measured)) \(holds ? "≤" : ">") \(Format.scientific(tolerance.bound))"
        if !holds {
            detail += "; worst at [\(deviation.at.row), \(deviation.at.column)]: got \(deviation.got), expected \(deviation.expected)"
        }
        return record(claim, holds: holds, detail: detail)
    }

    private func record(_ claim: String, holds: Bool, detail: String) -> Bool {
        checkCount += 1
        if !holds { failures.append("\(claim): \(detail)") }
        add(.output(["\(holds ? "✓" : "✗") \(claim) — \(detail)"]))
        return holds
    }

    // MARK: - Finishing

    /// Ends the chapter: prints the tally and writes or prints the page if asked. Returns true
    /// when every check held; otherwise reports the failed checks on standard error and returns
    /// false (a chapter then exits non-zero).
    public func conclude() throws -> Bool {
        let tally = failures.isEmpty
            ? "All \(checkCount) checks hold."
            : "\(failures.count) of \(checkCount) checks FAILED."
        add(.output([tally]))
        switch destination {
        case .terminal:
            break
        case .pageFile:
            let page = try renderPage()
            let url = URL(fileURLWithPath: sourcePath).deletingLastPathComponent().appendingPathComponent("README.md")
            try page.write(to: url, atomically: true, encoding: .utf8)
            FileHandle.standardError.write(Data("wrote \(url.path)\n".utf8))
        case .markdown:
            write(String(try renderPage().dropLast()))  // `write` ends the line itself
        }
        guard failures.isEmpty else {
            let report = (["\(command): \(tally)"] + failures.map { "  ✗ " + $0 }).joined(separator: "\n")
            FileHandle.standardError.write(Data((report + "\n").utf8))
            return false
        }
        return true
    }

    /// The notebook page (Markdown) for everything recorded so far, with the code of the files
    /// its markup calls are written in.
    public func renderPage() throws -> String {
        var sources: [String: String] = [:]
        for case .markup(_, let at) in records where sources[at.file] == nil {
            do {
                sources[at.file] = try String(contentsOfFile: at.file, encoding: .utf8)
            } catch {
                throw NotebookError.sourceUnreadable(at.file)
            }
        }
        return try PageRenderer(sources: sources).render(title: title, command: command, records: records)
    }

    private func add(_ record: Record) {
        if streams {
            // Output that follows prose gets a blank line, so results stand apart from the text.
            if case .output = record, case .markup? = records.last { emitTerminal([""]) }
            emitTerminal(TerminalRenderer.lines(for: record))
        }
        records.append(record)
    }

    private func emitTerminal(_ lines: [String]) {
        for line in lines { write(line) }
    }
}

extension Notebook {
    /// Where a notebook's records go.
    public enum Destination: Sendable, Equatable {
        /// Printed as they happen: the terminal walkthrough.
        case terminal
        /// A Markdown page (prose, code, output), printed when the notebook concludes.
        case markdown
        /// A Markdown page written over the chapter's committed `README.md`, beside its source.
        case pageFile
    }
}

/// How records look in the terminal.
enum TerminalRenderer {
    static func lines(for record: Record) -> [String] {
        switch record {
        case .markup(.section(let title), _):
            return ["", "── \(title) " + String(repeating: "─", count: max(3, 76 - title.count))]
        case .markup(.prose(let text), _):
            return [""] + text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        case .markup(.equation(let unicode, _), _):
            return ["", "    " + unicode]
        case .markup(.figure(let path, let caption), _):
            return ["", "Figure — \(path)"] + caption.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        case .output(let lines):
            return lines
        }
    }
}

/// Why a page could not be made.
public enum NotebookError: Error, CustomStringConvertible {
    case sourceUnreadable(String)

    public var description: String {
        switch self {
        case .sourceUnreadable(let path):
            "cannot read the chapter's source at \(path); pages are generated from a checkout of the package"
        }
    }
}
