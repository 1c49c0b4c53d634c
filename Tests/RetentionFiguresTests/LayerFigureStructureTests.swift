import Graphs
import Matrices
import MultiScaleRetention
import RetentionFigures
import Testing
import Tracing

/// Facts the math fixes about the msr and block figures, read off the drawn graphs (each node's
/// CSS classes name the operation and role that recorded it), and the traced runs' outputs
/// checked against untraced runs, bit for bit.
@Suite struct LayerFigureStructureTests {
    func operation(_ node: Node) -> String? { classes(node).first }
    func role(_ node: Node) -> String? { classes(node).dropFirst().first }

    func classes(_ node: Node) -> [String] {
        node.attributes.first { $0.name == "class" }.map { $0.value.split(separator: " ").map(String.init) } ?? []
    }

    func nodes(_ nodes: [Node], _ operation: TraceOperation) -> [Node] {
        nodes.filter { self.operation($0) == operation.rawValue }
    }

    /// The nodes whose values `id` reads, in edge order.
    func inputs(of id: String, in graph: Graph) -> [Node] {
        graph.edges.filter { $0.to == id }.compactMap { graph.node($0.from) }
    }

    @Test(arguments: 1...4)
    func theMSRGraphHasOneBoxOneRetentionPerHeadAndOneGate(heads: Int) throws {
        let example = LayerFigureExample(heads: heads)
        let figure = try RetentionFigures.multiScale(example)
        let graph = figure.graph
        try graph.validate()
        // h boxes, one per head, each labelled with its own γᵢ (Eq. 8: 1 − 2^{−5−i}).
        let gammas = DecaySchedule.eq8.gammas(heads: heads)
        #expect(graph.allClusters.count == heads)
        #expect(Set(graph.allClusters.compactMap(\.label))
                == Set((0..<heads).map { "head \($0) · γ\(Notation.sub($0)) = \(gammas[$0])" }))
        // Inside each box: one retention (one Q Kᵀ, one D, one output), its Q and K rotated and V
        // cut from the whole-width projections outside the box.
        for cluster in graph.allClusters {
            let inside = cluster.allNodes
            #expect(nodes(inside, .scores).count == 1, "\(cluster.label ?? "")")
            #expect(nodes(inside, .decayMask).count == 1)
            #expect(inside.filter { role($0) == TraceRole.output.rawValue }.count == 1)
            #expect(nodes(inside, .rotation).count == 2 && nodes(inside, .columnSlice).count == 1)
            for split in nodes(inside, .rotation) + nodes(inside, .columnSlice) {
                let sources = inputs(of: split.id, in: graph).filter { operation($0) == TraceOperation.projection.rawValue }
                #expect(sources.count == 1 && graph.cluster(containing: sources[0].id) == nil, "\(split.label)")
            }
        }
        // Outside: four projections of X and W_O; the heads side by side, one norm over them, one
        // swish, one gate product of the two, and W_O after it.
        let outside = graph.nodes
        #expect(nodes(outside, .projection).map { $0.label.split(separator: "\n")[0] }
                == ["X W_Q", "X W_K / √d_k", "X W_V", "X W_G", "MSR(X) = (swish(X W_G) ⊙ Y) W_O"])
        let concatenation = try #require(nodes(outside, .concatenation).first)
        #expect(nodes(graph.allNodes, .concatenation).count == 1)
        let headOutputs = inputs(of: concatenation.id, in: graph)
        #expect(headOutputs.count == heads)
        #expect(Set(headOutputs.compactMap { graph.cluster(containing: $0.id)?.id }).count == heads)
        #expect(headOutputs.allSatisfy { role($0) == TraceRole.output.rawValue })
        let norm = try #require(nodes(graph.allNodes, .norm).first)
        #expect(nodes(graph.allNodes, .norm).count == 1 && inputs(of: norm.id, in: graph).map(\.id) == [concatenation.id])
        #expect(norm.label.hasPrefix("Y = GroupNorm_h"))
        let gates = nodes(outside, .hadamard)
        #expect(gates.count == 1)
        #expect(inputs(of: gates[0].id, in: graph).map { operation($0) ?? "" } == ["activation", "norm"])
        let output = try #require(outside.last { role($0) == TraceRole.output.rawValue })
        #expect(inputs(of: output.id, in: graph).map(\.label) == [gates[0].label, "W_O\n\(example.valueDim)×\(example.embedDim)"])
    }

    @Test func theBlockGraphHasTwoNormsTwoResidualsAndOneFFN() throws {
        let figure = try RetentionFigures.block()
        let graph = figure.graph
        try graph.validate()
        let norms = nodes(graph.allNodes, .norm)
        #expect(norms.map { $0.label.split(separator: "\n")[0] } == ["RMSNorm(X)", "RMSNorm(Y)"])
        // Two residual sums, each adding back the value its half's norm read.
        let sums = nodes(graph.allNodes, .sum)
        #expect(sums.count == 2)
        for (sum, norm) in zip(sums, norms) {
            let skipped = try #require(inputs(of: norm.id, in: graph).first)
            #expect(inputs(of: sum.id, in: graph).contains(skipped), "\(sum.label)")
        }
        // Multi-scale retention as one node, between the first norm and the first sum.
        let msr = nodes(graph.allNodes, .layer)
        #expect(msr.count == 1 && inputs(of: msr[0].id, in: graph) == [norms[0]])
        #expect(inputs(of: sums[0].id, in: graph).first == msr[0])
        // The GLU in one box: fc1, gate, swish, ⊙, fc2; parameters are not drawn.
        #expect(graph.allClusters.count == 1)
        let ffn = try #require(graph.allClusters.first).allNodes
        #expect(ffn.map { operation($0) ?? "" } == ["projection", "activation", "projection", "hadamard", "projection"])
        #expect(!graph.allNodes.contains { role($0) == TraceRole.parameter.rawValue })
        #expect(graph.allNodes.filter { role($0) == TraceRole.output.rawValue } == [sums[1]])
    }

    /// The figures' runs are the library's runs: the traced outputs equal untraced ones exactly.
    @Test func tracedRunsEqualUntracedRunsBitForBit() throws {
        for example in [LayerFigureExample(), LayerFigureExample(length: 3, heads: 3, seed: 2)] {
            let x = try example.input()
            #expect(try RetentionFigures.multiScale(example).outputs == example.layer().pass(x).output)
            #expect(try RetentionFigures.block(example).outputs == example.block()(x, form: .parallel, from: nil).output)
        }
    }

    @Test func layerFiguresAreDeterministic() throws {
        #expect(try RetentionFigures.multiScale().graph.dot == RetentionFigures.multiScale().graph.dot)
        #expect(try RetentionFigures.block().graph.dot == RetentionFigures.block().graph.dot)
    }

    @Test func badLayerSizesAreClearErrors() {
        #expect(throws: FigureError.size("the number of heads h must be at least 1, got 0")) {
            try RetentionFigures.multiScale(LayerFigureExample(heads: 0))
        }
        #expect(throws: FigureError.size("the head width d_k must be even and at least 2, got 3")) {
            try RetentionFigures.block(LayerFigureExample(keyDim: 3))
        }
        #expect(throws: FigureError.size("the length n must be at least 1, got 0")) {
            try RetentionFigures.block(LayerFigureExample(length: 0))
        }
    }
}
