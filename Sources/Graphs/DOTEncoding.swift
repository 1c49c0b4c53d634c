/// Writes a `Graph` as DOT text, the input language of Graphviz.
///
/// Deterministic: the same graph always gives the same bytes (declaration order is kept, nothing
/// is hashed or sorted by address), so DOT files can be committed and compared in CI.
///
/// Labels are written as HTML-like labels, `label=<…>`, with `&`, `<`, `>` and `"` as entities,
/// every line break as `<BR/>` and every backslash doubled. That is the DOT form in which every
/// character reaches the drawing as itself: in a quoted label a label ending in a backslash
/// would escape the closing quote, and `\n`, `\l`, `\r` are line breaks. (Graphviz still reads
/// `\N`, `\G`, `\E`, `\T`, `\H`, `\L` in HTML-like text as the node's, graph's … name, and
/// `\\` as one backslash, hence the doubling.)
/// Everything else (ids, attribute values) is quoted, and `Graph.validate()` rejects the few
/// characters a quoted string cannot carry safely.
extension Graph {
    /// The graph as DOT text, ending in a newline.
    public var dot: String {
        var out = DOTWriter()
        out.line("digraph \(DOT.quoted(name)) {")
        out.indent += 1
        if !attributes.isEmpty { out.line("graph " + DOT.list(attributes) + ";") }
        if let label { out.line("label=" + DOT.htmlLabel(label) + ";") }
        if !nodeDefaults.isEmpty { out.line("node " + DOT.list(nodeDefaults) + ";") }
        if !edgeDefaults.isEmpty { out.line("edge " + DOT.list(edgeDefaults) + ";") }
        for node in nodes { out.node(node) }
        for cluster in clusters { out.cluster(cluster) }
        for rank in ranks {
            out.line("{ rank=\(DOT.quoted(rank.kind.rawValue)); " + rank.nodes.map { DOT.quoted($0) + ";" }.joined(separator: " ") + " }")
        }
        for edge in edges {
            var attributes = edge.attributes.map(DOT.attribute)
            if let label = edge.label { attributes.insert("label=" + DOT.htmlLabel(label), at: 0) }
            out.line(DOT.quoted(edge.from) + " -> " + DOT.quoted(edge.to)
                     + (attributes.isEmpty ? "" : " [" + attributes.joined(separator: ", ") + "]") + ";")
        }
        out.indent -= 1
        out.line("}")
        return out.text
    }
}

/// The pieces of DOT syntax, each escaping what it writes.
public enum DOT {
    /// `"text"` with `"` and `\` escaped. Only safe for text that `Graph.validate()` accepts
    /// (no backslash: DOT does not treat `\\` as an escaped backslash in every position).
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// `<text>` as an HTML-like label that draws `text` exactly: `&`, `<`, `>` and `"` become
    /// entities, `\` becomes `\\`, each line break (`\n`, `\r\n`, `\r`, U+2028 …) becomes
    /// `<BR/>`, and control characters that XML cannot carry become U+FFFD (tabs are kept).
    /// The empty text is `""`: Graphviz rejects an empty HTML-like label (and would then draw
    /// the node's id instead).
    public static func htmlLabel(_ text: String) -> String {
        if text.isEmpty { return "\"\"" }
        var out = "<"
        for character in text {
            if character.isNewline {
                out += "<BR/>"
                continue
            }
            for scalar in character.unicodeScalars {
                switch scalar {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&quot;"
                case "\\": out += "\\\\"
                case "\t": out.unicodeScalars.append(scalar)
                default:
                    if scalar.properties.generalCategory == .control {
                        out += "\u{FFFD}"
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
        }
        return out + ">"
    }

    /// `name="value"`.
    static func attribute(_ attribute: Attribute) -> String {
        attribute.name + "=" + quoted(attribute.value)
    }

    /// `[a="1", b="2"]`.
    static func list(_ attributes: [Attribute]) -> String {
        "[" + attributes.map(attribute).joined(separator: ", ") + "]"
    }
}

/// Accumulates indented lines.
struct DOTWriter {
    var text = ""
    var indent = 0

    mutating func line(_ content: String) {
        text += String(repeating: "  ", count: indent) + content + "\n"
    }

    mutating func node(_ node: Node) {
        let attributes = ["label=" + DOT.htmlLabel(node.label)] + node.attributes.map(DOT.attribute)
        line(DOT.quoted(node.id) + " [" + attributes.joined(separator: ", ") + "];")
    }

    mutating func cluster(_ cluster: Cluster) {
        line("subgraph " + DOT.quoted("cluster_" + cluster.id) + " {")
        indent += 1
        if let label = cluster.label { line("label=" + DOT.htmlLabel(label) + ";") }
        for attribute in cluster.attributes { line(DOT.attribute(attribute) + ";") }
        for node in cluster.nodes { self.node(node) }
        for nested in cluster.clusters { self.cluster(nested) }
        indent -= 1
        line("}")
    }
}
