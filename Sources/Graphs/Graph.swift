/// A computation graph as a plain value: nodes, edges, clusters and rank constraints, with the
/// attributes Graphviz needs to draw it. Nothing here calls Graphviz; `dot` (in DOTEncoding)
/// writes the graph as DOT text in pure Swift, and `GraphvizRendering` lays it out.
///
/// The graph is directed (an edge is data flowing from the value it starts at to the operation
/// it ends at). Order is meaning: nodes, clusters and edges are written in the order they were
/// added, so the same graph always gives the same DOT, byte for byte.
public struct Graph: Sendable, Equatable {
    /// The graph's name, written after `digraph`.
    public var name: String
    /// A caption for the whole figure (any text, drawn as itself), if any.
    public var label: String?
    /// Graph-wide attributes (layout direction, font, spacing, …).
    public var attributes: [Attribute]
    /// Attributes every node starts with (`node [...]`).
    public var nodeDefaults: [Attribute]
    /// Attributes every edge starts with (`edge [...]`).
    public var edgeDefaults: [Attribute]
    /// The nodes outside any cluster.
    public var nodes: [Node]
    /// Clusters: boxed groups of nodes, drawn as one rectangle (a time step, a chunk).
    public var clusters: [Cluster]
    /// The edges, in drawing order.
    public var edges: [Edge]
    /// Nodes that must share a rank (a row, in top-to-bottom layout).
    public var ranks: [RankConstraint]

    public init(name: String, label: String? = nil, attributes: [Attribute] = [], nodeDefaults: [Attribute] = [],
                edgeDefaults: [Attribute] = [], nodes: [Node] = [], clusters: [Cluster] = [],
                edges: [Edge] = [], ranks: [RankConstraint] = []) {
        self.name = name
        self.label = label
        self.attributes = attributes
        self.nodeDefaults = nodeDefaults
        self.edgeDefaults = edgeDefaults
        self.nodes = nodes
        self.clusters = clusters
        self.edges = edges
        self.ranks = ranks
    }

    /// Every node, top-level ones first, then each cluster's (depth first, in order).
    public var allNodes: [Node] {
        nodes + clusters.flatMap(\.allNodes)
    }

    /// Every cluster, depth first, in order.
    public var allClusters: [Cluster] {
        clusters.flatMap { [$0] + $0.allClusters }
    }

    /// The node with this id, if any.
    public func node(_ id: String) -> Node? {
        allNodes.first { $0.id == id }
    }

    /// The innermost cluster that holds the node `id` (nil for a top-level or unknown node).
    public func cluster(containing id: String) -> Cluster? {
        for cluster in clusters {
            if let found = cluster.innermost(containing: id) { return found }
        }
        return nil
    }
}

/// A boxed group of nodes (Graphviz's `subgraph cluster_…`), possibly holding further clusters.
public struct Cluster: Sendable, Equatable {
    /// Unique among the graph's clusters; written as `cluster_<id>`.
    public var id: String
    /// The caption drawn in the box.
    public var label: String?
    /// Attributes of the box (style, colours, label position).
    public var attributes: [Attribute]
    /// The nodes declared inside this cluster.
    public var nodes: [Node]
    /// Clusters nested inside this one.
    public var clusters: [Cluster]

    public init(id: String, label: String? = nil, attributes: [Attribute] = [], nodes: [Node] = [],
                clusters: [Cluster] = []) {
        self.id = id
        self.label = label
        self.attributes = attributes
        self.nodes = nodes
        self.clusters = clusters
    }

    /// This cluster's nodes and those of every nested cluster.
    public var allNodes: [Node] { nodes + clusters.flatMap(\.allNodes) }

    /// The nested clusters, depth first.
    public var allClusters: [Cluster] { clusters.flatMap { [$0] + $0.allClusters } }

    func innermost(containing id: String) -> Cluster? {
        for cluster in clusters {
            if let found = cluster.innermost(containing: id) { return found }
        }
        return nodes.contains { $0.id == id } ? self : nil
    }
}

/// A node: one value or operation of the computation.
public struct Node: Sendable, Equatable {
    /// Unique in the graph; edges and rank constraints refer to it.
    public var id: String
    /// The text drawn in the node, any characters (line breaks start new lines).
    public var label: String
    /// Further attributes: shape, style, colours (see `Attribute`'s constructors).
    public var attributes: [Attribute]

    public init(id: String, label: String, attributes: [Attribute] = []) {
        self.id = id
        self.label = label
        self.attributes = attributes
    }
}

/// An edge from one node to another.
public struct Edge: Sendable, Equatable {
    public var from: String
    public var to: String
    /// Text drawn beside the edge, if any.
    public var label: String?
    public var attributes: [Attribute]

    public init(from: String, to: String, label: String? = nil, attributes: [Attribute] = []) {
        self.from = from
        self.to = to
        self.label = label
        self.attributes = attributes
    }
}

/// Nodes that Graphviz must place on one rank (`{ rank=same; … }`), or on the first or last.
public struct RankConstraint: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// All on one rank.
        case same
        /// On the first rank (the top, in top-to-bottom layout), perhaps with others.
        case min
        /// On the last rank, perhaps with others.
        case max
        /// Alone on the first rank.
        case source
        /// Alone on the last rank.
        case sink
    }

    public var kind: Kind
    public var nodes: [String]

    public init(_ kind: Kind, _ nodes: [String]) {
        self.kind = kind
        self.nodes = nodes
    }
}
