import Graphs
import Tracing

/// Draws a `Trace` as a `Graph`: one node per recorded value, one edge per input, one cluster per
/// group (time step, chunk). Nothing is added that the trace does not hold, so the figure shows
/// exactly what ran.
///
/// Each node reads "symbol = expression" over its shape (e.g. "S₃ = γ S₂ + K₃ᵀ V₃" over "4×3").
/// Colour says the role: grey for data, yellow for parameters, lilac for decay factors, blue for
/// intermediate values, orange for states (their edges, the state handed on, drawn thick), green
/// for outputs; edges that cut rows out of a whole-sequence matrix are light grey. Every node carries its operation and role as CSS classes in the SVG.
public struct TraceDrawing: Sendable {
    /// Roles left out of the figure, with their edges (parameters and decay factors in the
    /// unrolled figures, where they would fan out to every step; their symbols stay in the
    /// labels that use them).
    public var hidden: Set<TraceRole>
    /// Recorded values that must share a rank, by operation (e.g. every state on one row).
    public var sameRank: [[TraceRole]]
    /// Layout direction.
    public var direction: RankDirection

    public init(hidden: Set<TraceRole> = [], sameRank: [[TraceRole]] = [], direction: RankDirection = .topToBottom) {
        self.hidden = hidden
        self.sameRank = sameRank
        self.direction = direction
    }

    /// The graph of `trace`, named `name`, with `caption` above it.
    public func graph(of trace: Trace, name: String, caption: String) -> Graph {
        let visible = trace.nodes.filter { !hidden.contains($0.role) }
        func id(_ node: TraceNodeID) -> String { "n\(node.index)" }
        func node(_ n: TraceNode) -> Node {
            var label = n.symbol + (n.expression.map { " = " + $0 } ?? "")
            if n.shape.rows * n.shape.columns != 1 { label += "\n\(n.shape)" }
            return Node(id: id(n.id), label: label, attributes: Self.look(of: n.role)
                        + [.className("\(n.operation.rawValue) \(n.role.rawValue)")])
        }
        // Clusters, nested as the groups were; a group's nodes in recording order.
        func cluster(_ group: TraceGroup) -> Cluster {
            Cluster(id: "g\(group.index)", label: group.label,
                    attributes: [.style(.rounded, .filled), .fillColor(Color(rgb: 0xF7F7F7)), .color(Color(rgb: 0xAAAAAA)),
                                 .fontColor(Color(rgb: 0x555555))],
                    nodes: visible.filter { $0.group == group.index }.map(node),
                    clusters: trace.groups.filter { $0.parent == group.index }.map(cluster))
        }
        let edges = visible.flatMap { target in
            target.inputs.filter { !hidden.contains(trace[$0].role) }.map { source in
                Edge(from: id(source), to: id(target.id), attributes: Self.look(from: trace[source], to: target))
            }
        }
        let ranks = sameRank.map { roles in
            RankConstraint(.same, visible.filter { roles.contains($0.role) && $0.operation != .concatenation }.map { id($0.id) })
        }.filter { $0.nodes.count > 1 }
        return Graph(
            name: name, label: caption,
            attributes: [.rankDirection(direction), .fontName("DejaVu Sans"), .fontSize(20), Attribute("labelloc", "t"),
                         Attribute("newrank", "true"), Attribute("nodesep", "0.3"), Attribute("ranksep", "0.45"),
                         Attribute("pad", "0.3"), Attribute("bgcolor", "white")],
            nodeDefaults: [.fontName("DejaVu Sans"), .fontSize(15), Attribute("margin", "0.12,0.06")],
            edgeDefaults: [.color(Color(rgb: 0x555555)), Attribute("arrowsize", "0.7")],
            nodes: visible.filter { $0.group == nil }.map(node),
            clusters: trace.groups.filter { $0.parent == nil }.map(cluster),
            edges: edges, ranks: ranks)
    }

    /// A state handed on is thick and orange; rows cut from a whole-sequence matrix are light,
    /// so that the fan-out into every chunk stays in the background.
    static func look(from source: TraceNode, to target: TraceNode) -> [Attribute] {
        if source.role == .state { return [.penWidth(2.5), .color(Color(rgb: 0xD9822B))] }
        if target.operation == .rowSlice { return [.color(Color(rgb: 0xA8A8A8))] }
        return []
    }

    /// Shape and colours of a role.
    static func look(of role: TraceRole) -> [Attribute] {
        switch role {
        case .input: [.shape(.ellipse), .style(.filled), .fillColor(Color(rgb: 0xE8E8E8))]
        case .parameter: [.shape(.ellipse), .style(.filled), .fillColor(Color(rgb: 0xFFF2B3))]
        case .constant: [.shape(.box), .style(.rounded, .filled), .fillColor(Color(rgb: 0xEBDDF5))]
        case .intermediate: [.shape(.box), .style(.rounded, .filled), .fillColor(Color(rgb: 0xDBE9F6))]
        case .state: [.shape(.box), .style(.rounded, .filled, .bold), .fillColor(Color(rgb: 0xFDE3C8)),
                      .color(Color(rgb: 0xD9822B))]
        case .output: [.shape(.box), .style(.rounded, .filled), .fillColor(Color(rgb: 0xD5ECD4))]
        }
    }
}
