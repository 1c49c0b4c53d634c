import Foundation
import Graphs
import GraphvizRendering
import Testing

/// Objects are numbered in the order the DOT text creates them, so clusters are drawn in that
/// order and a drawing's bytes depend only on its text.
@Suite struct ClusterOrderTests {
    /// Twelve clusters; their names sort differently as text ("c10" < "c2") and as numbers.
    static let graph = Graph(
        name: "order",
        nodes: [],
        clusters: (0..<12).map { Cluster(id: "c\($0)", label: "cluster \($0)", nodes: [Node(id: "n\($0)", label: "\($0)")]) },
        edges: (1..<12).map { Edge(from: "n\($0 - 1)", to: "n\($0)") })

    func render(to name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cluster-order-\(getpid())-\(name).svg").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try GraphvizRenderer().render(Self.graph, as: .svg, to: path)
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    /// The cluster titles in the order the SVG draws them.
    func clusterTitles(_ svg: String) -> [String] {
        svg.components(separatedBy: "\n").filter { $0.hasPrefix("<title>cluster_") }
            .map { String($0.dropFirst("<title>".count).dropLast("</title>".count)) }
    }

    @Test func clustersAreDrawnInTheOrderOfTheText() throws {
        let svg = try render(to: "first")
        #expect(clusterTitles(svg) == (0..<12).map { "cluster_c\($0)" })
        // Names survive the numbering: every node's title is its DOT name.
        for i in 0..<12 { #expect(svg.contains("<title>n\(i)</title>"), "node n\(i) lost its name") }
    }

    @Test func renderingTwiceGivesTheSameBytes() throws {
        let first = try render(to: "a")
        // Churn the heap between the two renderings, as a long run of figures does.
        var churn: [[UInt8]] = []
        for i in 0..<2_000 { churn.append([UInt8](repeating: UInt8(i % 251), count: 16 + i % 97)) }
        churn.removeAll(where: { $0.count % 3 == 0 })
        let second = try render(to: "b")
        #expect(first == second)
        #expect(churn.count > 0)
    }
}
