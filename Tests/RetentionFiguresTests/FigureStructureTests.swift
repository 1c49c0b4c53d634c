import Graphs
import Matrices
import Retention
import RetentionFigures
import Testing
import Tracing

/// Facts the math fixes about each figure, read off the drawn graph (the nodes' CSS classes say
/// what operation recorded them), and the traced runs' outputs checked against the parallel form.
@Suite struct FigureStructureTests {
    func nodes(_ graph: Graph, _ operation: TraceOperation) -> [Node] {
        graph.allNodes.filter { classes(of: $0).first == operation.rawValue }
    }

    func classes(of node: Node) -> [String] {
        node.attributes.first { $0.name == "class" }.map { $0.value.split(separator: " ").map(String.init) } ?? []
    }

    /// Nodes with `operation` whose value is read by a node in another cluster.
    func handedOn(_ graph: Graph, _ operation: TraceOperation) -> Int {
        nodes(graph, operation).filter { node in
            let home = graph.cluster(containing: node.id)?.id
            return graph.edges.contains { edge in
                guard edge.from == node.id, let other = graph.cluster(containing: edge.to) else { return false }
                return other.id != home
            }
        }.count
    }

    @Test func theParallelGraphHasOneQKTransposeAndNoState() throws {
        let figure = try RetentionFigures.parallel()
        try figure.graph.validate()
        #expect(nodes(figure.graph, .scores).count == 1)
        #expect(nodes(figure.graph, .scores).first?.label == "Q Kᵀ\n6×6")
        #expect(nodes(figure.graph, .decayMask).count == 1)
        #expect(nodes(figure.graph, .rotation).count == 2)
        #expect(nodes(figure.graph, .projection).count == 3)
        #expect(nodes(figure.graph, .stateUpdate).isEmpty && figure.graph.allClusters.isEmpty)
        #expect(figure.graph.allNodes.map(\.label).contains("γ"))
    }

    @Test(arguments: 1...8)
    func theRecurrentGraphForNStepsHasNStateUpdatesInNSteps(length: Int) throws {
        let figure = try RetentionFigures.recurrent(FigureExample(length: length))
        try figure.graph.validate()
        #expect(nodes(figure.graph, .stateUpdate).count == length)
        #expect(figure.graph.allClusters.map(\.label) == (0..<length).map { "t = \($0)" })
        #expect(handedOn(figure.graph, .stateUpdate) == length - 1)
        // Each step holds its token, Q, K, V, the update and the output.
        for cluster in figure.graph.allClusters { #expect(cluster.nodes.count == 6, "\(cluster.label ?? "")") }
        // Parameters are hidden: no node for W_Q or γ, and no edge to a missing node.
        #expect(!figure.graph.allNodes.contains { $0.label.hasPrefix("W_Q") || $0.label == "γ" })
    }

    @Test(arguments: [(6, 2), (6, 3), (6, 4), (7, 3), (10, 4), (5, 1), (4, 4), (3, 9)])
    func theChunkwiseGraphHasCeilNOverBChunksAndOneFewerHandOffs(length: Int, chunkSize: Int) throws {
        let figure = try RetentionFigures.chunkwise(FigureExample(length: length), chunkSize: chunkSize)
        try figure.graph.validate()
        let chunks = (length + chunkSize - 1) / chunkSize
        #expect(figure.graph.allClusters.count == chunks)
        #expect(nodes(figure.graph, .stateUpdate).count == chunks)
        #expect(handedOn(figure.graph, .stateUpdate) == chunks - 1)
        #expect(nodes(figure.graph, .scores).count == chunks)
        let last = length - (chunks - 1) * chunkSize
        #expect(figure.graph.allClusters.last?.label == "chunk \(chunks - 1) · "
                + (last == 1 ? "row \(length - 1)" : "rows \((chunks - 1) * chunkSize)–\(length - 1)"))
    }

    /// Each figure's run is a correct run: its outputs equal the parallel form on the same
    /// inputs (Double; the forms agree to rounding, 1e-12 relative as in the chapters).
    @Test func everyTracedRunComputesRetention() throws {
        for example in [FigureExample(), FigureExample(length: 10, seed: 5)] {
            let reference = try RetentionFigures.parallel(example).outputs
            for figure in [try RetentionFigures.recurrent(example), try RetentionFigures.chunkwise(example, chunkSize: 4)] {
                let error = figure.outputs.deviation(from: reference).maxRelative
                #expect(error <= 1e-12, "\(figure.name): max relative error \(error)")
            }
        }
    }

    @Test func figuresAreDeterministic() throws {
        #expect(try RetentionFigures.chunkwise().graph.dot == RetentionFigures.chunkwise().graph.dot)
        #expect(try RetentionFigures.recurrent().graph.dot == RetentionFigures.recurrent().graph.dot)
    }

    @Test func badSizesAreClearErrors() {
        #expect(throws: FigureError.size("the width d must be even and at least 2, got 3")) {
            try RetentionFigures.parallel(FigureExample(dim: 3))
        }
        #expect(throws: FigureError.size("the chunk size B must be at least 1, got 0")) {
            try RetentionFigures.chunkwise(chunkSize: 0)
        }
        #expect(throws: FigureError.size("the length n must be at least 1, got 0")) {
            try RetentionFigures.recurrent(FigureExample(length: 0))
        }
    }
}
