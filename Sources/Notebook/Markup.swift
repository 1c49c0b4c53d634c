/// What a notebook holds, in the order the chapter produced it.
enum Record: Equatable {
    /// Prose, headings and equations: written once in the source, in source order; `at` is
    /// where the call is written (its file and first line).
    case markup(Markup, at: MarkupLocation)
    /// Lines the code printed: results, tables, checks.
    case output([String])
}

enum Markup: Equatable {
    case section(String)
    case prose(String)
    /// An equation: Unicode for the terminal, LaTeX for the page.
    case equation(unicode: String, latex: String)
    /// A figure: a file under the package root (e.g. "Figures/parallel.png") and its caption.
    case figure(path: String, caption: String)
}
