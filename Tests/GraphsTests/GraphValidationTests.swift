import Graphs
import Testing

@Suite struct GraphValidationTests {
    func graph(nodes: [Node] = [Node(id: "a", label: "a"), Node(id: "b", label: "b")], clusters: [Cluster] = [],
               edges: [Edge] = [Edge(from: "a", to: "b")], ranks: [RankConstraint] = [],
               attributes: [Attribute] = []) -> Graph {
        Graph(name: "g", attributes: attributes, nodes: nodes, clusters: clusters, edges: edges, ranks: ranks)
    }

    @Test func aWellFormedGraphValidates() throws {
        try graph(clusters: [Cluster(id: "c", label: "any \"label\" \\ <at all>", nodes: [Node(id: "c1", label: "\\")])],
                  ranks: [RankConstraint(.same, ["a", "c1"])]).validate()
    }

    @Test func anEdgeToAnUndeclaredNodeIsAnError() {
        #expect(throws: GraphError.unknownNode("zz", in: "the edge a -> zz")) {
            try graph(edges: [Edge(from: "a", to: "zz")]).validate()
        }
    }

    @Test func aRankConstraintOnAnUndeclaredNodeIsAnError() {
        #expect(throws: GraphError.unknownNode("q", in: "a rank=same constraint")) {
            try graph(ranks: [RankConstraint(.same, ["a", "q"])]).validate()
        }
    }

    @Test func duplicateIDsAreErrors() {
        #expect(throws: GraphError.duplicateID("a")) {
            try graph(clusters: [Cluster(id: "c", nodes: [Node(id: "a", label: "again")])]).validate()
        }
        #expect(throws: GraphError.duplicateID("cluster_c")) {
            try graph(clusters: [Cluster(id: "c"), Cluster(id: "d", clusters: [Cluster(id: "c")])]).validate()
        }
    }

    @Test(arguments: ["", "a\"b", "a\\b", "line\nbreak", "nul\u{0}"])
    func idsThatAQuotedDOTStringCannotCarryAreErrors(id: String) {
        #expect(throws: GraphError.invalidID(id)) {
            try graph(nodes: [Node(id: id, label: "x")], edges: []).validate()
        }
    }

    @Test(arguments: [Attribute("1st", "x"), Attribute("", "x"), Attribute("font-size", "x"), Attribute("fontname", "a\"b"),
                      Attribute("fontname", "trailing\\"), Attribute("fontname", "two\nlines")])
    func malformedAttributesAreErrors(attribute: Attribute) {
        #expect(throws: GraphError.invalidAttribute(name: attribute.name, value: attribute.value)) {
            try graph(attributes: [attribute]).validate()
        }
    }

    @Test func errorsSayWhatIsWrong() {
        #expect(GraphError.unknownNode("zz", in: "the edge a -> zz").description
                == "the edge a -> zz refers to node \"zz\", which the graph does not declare")
        #expect(GraphError.invalidID("a\"b").description.hasPrefix("invalid id \"a\\\"b\""))
    }

    @Test func clusterContainingFindsTheInnermostCluster() {
        let g = graph(clusters: [Cluster(id: "outer", nodes: [Node(id: "o", label: "o")],
                                         clusters: [Cluster(id: "inner", nodes: [Node(id: "i", label: "i")])])])
        #expect(g.cluster(containing: "i")?.id == "inner")
        #expect(g.cluster(containing: "o")?.id == "outer")
        #expect(g.cluster(containing: "a") == nil)
        #expect(g.allNodes.map(\.id) == ["a", "b", "o", "i"])
        #expect(g.allClusters.map(\.id) == ["outer", "inner"])
    }
}
