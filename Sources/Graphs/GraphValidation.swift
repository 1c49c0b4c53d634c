/// What can be wrong with a `Graph` before it is drawn. Each case names the offending id or
/// attribute, so that a figure builder's mistake is found where it was made rather than as a
/// Graphviz syntax error or a silently invented node.
public enum GraphError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An id (node or cluster) that is empty or holds a character a quoted DOT id cannot carry.
    case invalidID(String)
    /// Two nodes, or two clusters, with one id.
    case duplicateID(String)
    /// An edge or rank constraint naming a node the graph does not declare (Graphviz would
    /// silently create an unlabelled node).
    case unknownNode(String, in: String)
    /// An attribute name that is not an identifier, or a value with a line break, double quote
    /// or backslash.
    case invalidAttribute(name: String, value: String)

    public var description: String {
        switch self {
        case .invalidID(let id):
            "invalid id \(DOT.quoted(id)): ids must be non-empty, without control characters, quotes or backslashes"
        case .duplicateID(let id):
            "the id \(DOT.quoted(id)) is declared twice"
        case .unknownNode(let id, let context):
            "\(context) refers to node \(DOT.quoted(id)), which the graph does not declare"
        case .invalidAttribute(let name, let value):
            "invalid attribute \(name)=\(DOT.quoted(value)): names are identifiers; values hold no line breaks, quotes or backslashes"
        }
    }
}

extension Graph {
    /// Checks that the graph can be written as DOT and means what it says: valid, unique ids;
    /// edges and rank constraints between declared nodes; well-formed attributes. Labels need no
    /// checking: any text is encoded faithfully.
    public func validate() throws(GraphError) {
        try Self.checkID(name)
        var nodeIDs = Set<String>()
        for node in allNodes {
            try Self.checkID(node.id)
            guard nodeIDs.insert(node.id).inserted else { throw .duplicateID(node.id) }
            try Self.check(node.attributes)
        }
        var clusterIDs = Set<String>()
        for cluster in allClusters {
            try Self.checkID(cluster.id)
            guard clusterIDs.insert(cluster.id).inserted else { throw .duplicateID("cluster_" + cluster.id) }
            try Self.check(cluster.attributes)
        }
        try Self.check(attributes + nodeDefaults + edgeDefaults)
        for edge in edges {
            for end in [edge.from, edge.to] where !nodeIDs.contains(end) {
                throw .unknownNode(end, in: "the edge \(edge.from) -> \(edge.to)")
            }
            try Self.check(edge.attributes)
        }
        for rank in ranks {
            for id in rank.nodes where !nodeIDs.contains(id) {
                throw .unknownNode(id, in: "a rank=\(rank.kind.rawValue) constraint")
            }
        }
    }

    private static func checkID(_ id: String) throws(GraphError) {
        guard !id.isEmpty, safeInQuotes(id) else { throw .invalidID(id) }
    }

    private static func check(_ attributes: [Attribute]) throws(GraphError) {
        for attribute in attributes {
            guard isIdentifier(attribute.name), safeInQuotes(attribute.value) else {
                throw .invalidAttribute(name: attribute.name, value: attribute.value)
            }
        }
    }

    /// ASCII letters, digits and underscores, not starting with a digit.
    private static func isIdentifier(_ name: String) -> Bool {
        func letter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_" }
        let scalars = Array(name.unicodeScalars)
        guard let first = scalars.first, letter(first) else { return false }
        return scalars.allSatisfy { letter($0) || ("0"..."9").contains($0) }
    }

    /// No control characters (line breaks included), double quotes or backslashes.
    private static func safeInQuotes(_ text: String) -> Bool {
        !text.unicodeScalars.contains { $0 == "\"" || $0 == "\\" || $0.properties.generalCategory == .control }
    }
}
