/// Cuts a chapter's source into the code that sits between its markup calls
/// (`nb.section`, `nb.prose`, `nb.equation`, `nb.figure`), so the page can show each piece of
/// code right after the prose that introduces it.
///
/// The rules, which the chapters follow:
/// - markup calls run once each, in source order (never inside a loop or a branch);
/// - the narrative starts at the first markup call and ends where the indentation drops
///   below that call's (the closing brace of the function that holds it);
/// - a markup call ends on the line where its parentheses balance. String literals
///   (including `"""` blocks) and `//` comments are skipped while counting.
struct SourceSlicer {
    let lines: [String]

    init(source: String) {
        lines = source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    enum SliceError: Error, CustomStringConvertible {
        case lineOutOfRange(Int, count: Int)
        case outOfOrder(line: Int, after: Int)
        case unbalanced(line: Int)

        var description: String {
            switch self {
            case .lineOutOfRange(let line, let count):
                "markup at line \(line) is outside the source (\(count) lines): was the page rendered from a different file?"
            case .outOfOrder(let line, let after):
                "markup at line \(line) ran after markup at line \(after); notebook markup must run once each, in source order"
            case .unbalanced(let line):
                "cannot find the end of the markup call starting at line \(line) (unbalanced parentheses or string)"
            }
        }
    }

    /// For markup calls starting at `starts` (1-based lines, in the order they ran), the code
    /// after each call up to the next one (or the end of the narrative), dedented; "" when none.
    func codeBlocks(after starts: [Int]) throws -> [String] {
        guard !starts.isEmpty else { return [] }
        for (previous, line) in zip(starts, starts.dropFirst()) where line <= previous {
            throw SliceError.outOfOrder(line: line, after: previous)
        }
        for line in starts where line < 1 || line > lines.count {
            throw SliceError.lineOutOfRange(line, count: lines.count)
        }
        let base = indentation(lines[starts[0] - 1])
        let ends = try starts.map { try endOfCall(startingAt: $0 - 1) }
        // The narrative ends at the first non-blank line indented less than the first markup call.
        var narrativeEnd = lines.count
        for index in (ends.last! + 1)..<lines.count
        where !isBlank(lines[index]) && indentation(lines[index]) < base {
            narrativeEnd = index
            break
        }
        return starts.indices.map { k in
            let from = ends[k] + 1
            let to = k + 1 < starts.count ? starts[k + 1] - 1 : narrativeEnd
            return block(from: from, to: max(from, to), dedent: base)
        }
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
        throw SliceError.unbalanced(line: start + 1)
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
