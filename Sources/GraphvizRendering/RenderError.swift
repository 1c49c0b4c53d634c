import Graphs

/// Why a figure could not be rendered. Each message says what was asked and what went wrong;
/// none of these stops the program.
public enum RenderError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A format Graphviz is not asked to produce here.
    case unknownFormat(String)
    /// The graph failed `Graph.validate()`.
    case invalidGraph(GraphError)
    /// Graphviz could not read the DOT text; its own message (e.g. "syntax error in line 2 near '}'").
    case unreadableDOT(String)
    /// Graphviz could not start (no context) or lay the graph out.
    case graphvizFailed(String)
    /// The output file could not be created or written.
    case cannotWrite(path: String, reason: String)
    /// The renderer for the format failed (e.g. a PNG renderer plugin is missing).
    case renderFailed(format: OutputFormat, path: String)

    public var description: String {
        switch self {
        case .unknownFormat(let name):
            "unknown output format \"\(name)\": choose one of \(OutputFormat.allCases.map(\.rawValue).joined(separator: ", "))"
        case .invalidGraph(let error):
            "the graph cannot be drawn: \(error)"
        case .unreadableDOT(let message):
            "Graphviz could not read the DOT text: \(message)"
        case .graphvizFailed(let message):
            "Graphviz failed: \(message)"
        case .cannotWrite(let path, let reason):
            "cannot write \(path): \(reason)"
        case .renderFailed(let format, let path):
            "Graphviz could not render \(path) as \(format.rawValue) (is its renderer plugin installed? `dot -P` lists them)"
        }
    }
}
