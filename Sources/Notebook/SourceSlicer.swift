/// Where a markup call sits: the file it is written in (`#filePath`) and the line it starts on (`#line`).
struct MarkupLocation: Hashable {
    let file: String
    let line: Int
}

/// Cuts a chapter's source into the code that sits between its markup calls
/// (`nb.section`, `nb.prose`, `nb.equation`, `nb.figure`), so the page can show each piece of
/// code right after the prose that introduces it.
///
/// A chapter's narrative may be spread over several functions in several files (its `main.swift`
/// and `Sections/*.swift`, each section a function): every markup call records its file and line,
/// and each file is sliced on its own. The rules, which the chapters follow:
/// - markup calls run once each, in source order within each file (never inside a loop or a branch);
/// - a function's narrative starts at its first markup call (only its signature, blank lines and
///   comments come before it) and ends where the indentation drops below that call's (the closing
///   brace of the function);
/// - the code after a markup call runs to the next markup call in the same function, or to the
///   function's end when the next markup call is in another function or file. A function whose
///   markup is interleaved with another file's is an error: its code would show out of order;
/// - a markup call ends on the line where its parentheses balance. String literals
///   (including `"""` blocks) and `//` comments are skipped while counting.
struct SourceSlicer {
    let lines: [String]

    init(source: String) {
        lines = source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    enum SliceError: Error, CustomStringConvertible {
        case lineOutOfRange(MarkupLocation, count: Int)
        case outOfOrder(MarkupLocation, after: Int)
        case unbalanced(MarkupLocation)
        case codeBeforeMarkup(MarkupLocation)
        case interleaved(MarkupLocation, after: MarkupLocation)
        case missingSource(String)

        var description: String {
            switch self {
            case .lineOutOfRange(let at, let count):
                "markup at \(Self.place(at)) is outside the source (\(count) lines): was the page rendered from a different file?"
            case .outOfOrder(let at, let after):
                "markup at \(Self.place(at)) ran after markup at line \(after) of the same file; notebook markup must run "
                    + "once each, in source order"
            case .unbalanced(let at):
                "cannot find the end of the markup call starting at \(Self.place(at)) (unbalanced parentheses or string)"
            case .codeBeforeMarkup(let at):
                "code comes before the markup at \(Self.place(at)), the first of its function: a function's narrative starts "
                    + "at its first markup call, so the page would not show that code"
            case .interleaved(let at, let after):
                "markup at \(Self.place(at)) ran after markup in another file (\(Self.place(after))) but sits in the code "
                    + "shown after the markup before it: a function's markup must not be interleaved with another file's"
            case .missingSource(let file):
                "no source for the markup in \(file)"
            }
        }

        /// "Sections/Layer.swift:12" (the file's last two path components), or "line 12" for an unnamed source.
        static func place(_ at: MarkupLocation) -> String {
            guard !at.file.isEmpty else { return "line \(at.line)" }
            return at.file.split(separator: "/").suffix(2).joined(separator: "/") + ":\(at.line)"
        }
    }

    /// For markup calls starting at `starts` (1-based lines of this source, in the order they
    /// ran), the code after each call up to the next one (or the end of its function), dedented;
    /// "" when none.
    func codeBlocks(after starts: [Int]) throws -> [String] {
        try Self.codeBlocks(after: starts.map { MarkupLocation(file: "", line: $0) }, in: ["": self])
    }

    /// For markup calls at `calls` (in the order they ran, each in one of `sources`' files), the
    /// code after each call up to the next markup call in the same function (or that function's
    /// end), dedented to the call's indentation; "" when none.
    static func codeBlocks(after calls: [MarkupLocation], in sources: [String: SourceSlicer]) throws -> [String] {
        var previousLine: [String: Int] = [:]
        for call in calls {
            guard let slicer = sources[call.file] else { throw SliceError.missingSource(call.file) }
            guard call.line >= 1 && call.line <= slicer.lines.count else {
                throw SliceError.lineOutOfRange(call, count: slicer.lines.count)
            }
            if let previous = previousLine[call.file], call.line <= previous { throw SliceError.outOfOrder(call, after: previous) }
            previousLine[call.file] = call.line
        }
        var blocks: [String] = []
        var shownUpTo: [String: Int] = [:]  // per file, the 0-based line index where the code shown so far ends
        var continues = false  // whether the previous block ended right at this call (same function)
        for (k, call) in calls.enumerated() {
            let slicer = sources[call.file]!
            let start = call.line - 1
            if let shown = shownUpTo[call.file], start < shown { throw SliceError.interleaved(call, after: calls[k - 1]) }
            if !continues && !slicer.onlySignatureBefore(start) { throw SliceError.codeBeforeMarkup(call) }
            let base = slicer.indentation(slicer.lines[start])
            let end: Int
            do { end = try slicer.endOfCall(startingAt: start) } catch { throw SliceError.unbalanced(call) }
            let from = end + 1
            var to = slicer.endOfFunction(after: end, indentation: base)
            continues = false
            if k + 1 < calls.count, calls[k + 1].file == call.file, calls[k + 1].line - 1 <= to {
                to = calls[k + 1].line - 1
                continues = true
            }
            shownUpTo[call.file] = to
            blocks.append(slicer.block(from: from, to: max(from, to), dedent: base))
        }
        return blocks
    }

    /// The 0-based index of the first non-blank line after `end` indented less than `indentation`
    /// (the closing brace of the function), or the number of lines.
    private func endOfFunction(after end: Int, indentation base: Int) -> Int {
        var index = end + 1
        while index < lines.count {
            if !isBlank(lines[index]) && indentation(lines[index]) < base { return index }
            index += 1
        }
        return lines.count
    }

    /// Whether only blank lines and comments sit between the line at `start` and the line above
    /// it that opens a block (a function's signature ends with `{`), or the start of the file.
    private func onlySignatureBefore(_ start: Int) -> Bool {
        var index = start - 1
        while index >= 0 {
            let trimmed = lines[index].trimmingSpaces
            if trimmed.isEmpty || trimmed.hasPrefix("//") {
                index -= 1
                continue
            }
            return trimmed.hasSuffix("{")
        }
        return true
    }

    private func block(from: Int, to: Int, dedent: Int) -> String {
        var chunk = Array(lines[from..<to])
        while let first = chunk.first, isBlank(first) { chunk.removeFirst() }
        while let last = chunk.last, isBlank(last) { chunk.removeLast() }
        return chunk.map { line in
            let drop = min(dedent, indentation(line))
            return String(line.dropFirst(drop))
        }.joined(separator: "\n")
    }

    /// The 0-based index of the line on which the call beginning at `start` closes its parentheses.
    func endOfCall(startingAt start: Int) throws -> Int {
        var depth = 0
        var opened = false
        var inMultiline = false
        var index = start
        while index < lines.count {
            let chars = Array(lines[index])
            var i = 0
            if inMultiline {
                // The closing delimiter is `"""` (optionally followed by `#`) after indentation.
                let trimmed = lines[index].drop { $0 == " " }
                if trimmed.hasPrefix("\"\"\"") {
                    inMultiline = false
                    i = chars.count - trimmed.count + 3
                } else {
                    index += 1
                    continue
                }
            }
            while i < chars.count {
                let c = chars[i]
                if c == "/" && i + 1 < chars.count && chars[i + 1] == "/" { break }
                if c == "\"" {
                    if i + 2 < chars.count && chars[i + 1] == "\"" && chars[i + 2] == "\"" {
                        inMultiline = true
                        break
                    }
                    i = skipString(chars, from: i)
                    continue
                }
                if c == "(" { depth += 1; opened = true }
                if c == ")" {
                    depth -= 1
                    if opened && depth == 0 { return index }
                }
                i += 1
            }
            index += 1
        }
        throw SliceError.unbalanced(MarkupLocation(file: "", line: start + 1))
    }

    /// Index just past the closing quote of the single-line string opening at `from`.
    private func skipString(_ chars: [Character], from: Int) -> Int {
        var i = from + 1
        var interpolation = 0
        while i < chars.count {
            let c = chars[i]
            if c == "\\" {
                if i + 1 < chars.count && chars[i + 1] == "(" { interpolation += 1; i += 2; continue }
                i += 2
                continue
            }
            if interpolation > 0 {
                if c == "(" { interpolation += 1 }
                if c == ")" { interpolation -= 1 }
            } else if c == "\"" {
                return i + 1
            }
            i += 1
        }
        return chars.count
    }

    private func indentation(_ line: String) -> Int { line.prefix { $0 == " " }.count }
    private func isBlank(_ line: String) -> Bool { line.allSatisfy { $0 == " " || $0 == "\t" } }
}

extension String {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        var text = self[...].drop(while: isSpace)
        while let last = text.last, isSpace(last) { text = text.dropLast() }
        return text
    }
}
