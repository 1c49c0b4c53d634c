import Matrices
import MultiScaleRetention
import RetNetModel
import Retention
import Testing
import Tracing

/// A multi-scale retention layer and a RetNet block record what they compute when handed a
/// tracer, and compute exactly the same numbers either way.
@Suite struct TracedLayerTests {
    static let forms: [RetentionForm] = [.parallel, .recurrent, .chunkwise(chunkSize: 1), .chunkwise(chunkSize: 3),
                                         .chunkwise(chunkSize: 9)]

    func config(_ variant: RetNetConfig.Variant, heads: Int = 2) -> RetNetConfig {
        RetNetConfig(variant: variant, embedDim: 4 * heads, valueEmbedDim: 6 * heads, retentionHeads: heads,
                     ffnEmbedDim: 10, layers: 1, vocabSize: 5, activationFn: variant == .paper ? .gelu : .swish)
    }

    func block(_ variant: RetNetConfig.Variant, heads: Int = 2) throws -> RetNetBlock<Double> {
        try RetNet<Double>.random(config: config(variant, heads: heads), seed: 11, normNoise: 0.2).blocks[0]
    }

    func input(rows: Int, columns: Int, seed: UInt64 = 5) -> Matrix<Double> {
        var rng = SplitMix64(seed: seed)
        return .gaussian(rows: rows, columns: columns, using: &rng)
    }

    @Test(arguments: RetNetConfig.Variant.allCases)
    func tracingChangesNoLayerOutputBitForBit(variant: RetNetConfig.Variant) throws {
        let layer = try block(variant).retention
        let x = input(rows: 7, columns: layer.embedDimension)
        for form in Self.forms {
            let plain = try layer.pass(x, form: form)
            let traced = try layer.pass(x, form: form, trace: Tracer())
            #expect(traced.output == plain.output && traced.retention == plain.retention, "\(form)")
            #expect(traced.normalised == plain.normalised && traced.state == plain.state, "\(form)")
        }
        // With row factors, and continuing from a state.
        let scaled = try layer.pass(x, scaling: .paper, trace: Tracer())
        #expect(try scaled.output == layer.pass(x, scaling: .paper).output)
        let prefill = try layer(x.rowRange(0..<4)).state
        let rest = x.rowRange(4..<7)
        for form in [RetentionForm.recurrent, .chunkwise(chunkSize: 2)] {
            let traced = try layer(rest, form: form, from: prefill, trace: Tracer())
            let plain = try layer(rest, form: form, from: prefill)
            #expect(traced.output == plain.output && traced.state == plain.state, "\(form)")
        }
    }

    @Test(arguments: RetNetConfig.Variant.allCases)
    func tracingChangesNoBlockOutputBitForBit(variant: RetNetConfig.Variant) throws {
        let block = try block(variant)
        let x = input(rows: 6, columns: block.retention.embedDimension)
        for form in Self.forms {
            let traced = try block(x, form: form, from: nil, trace: Tracer())
            let plain = try block(x, form: form, from: nil)
            #expect(traced.output == plain.output && traced.state == plain.state, "\(form)")
        }
        let hidden = input(rows: 6, columns: block.retention.embedDimension, seed: 9)
        #expect(block.ffn(hidden, trace: Tracer()) == block.ffn(hidden))
    }

    /// h heads, each in its own group labelled with its γ, each with one retention (here the
    /// parallel form's one Q Kᵀ); the heads side by side, one norm, one swish, one gate product.
    @Test(arguments: 1...4)
    func theLayerRecordsOneGroupAndOneRetentionPerHead(heads: Int) throws {
        let layer = try block(.paper, heads: heads).retention
        let tracer = Tracer<Double>()
        _ = try layer.pass(input(rows: 5, columns: layer.embedDimension), trace: tracer)
        let trace = tracer.trace
        #expect(trace.groups.map(\.label) == (0..<heads).map { "head \($0) · γ\(Notation.sub($0)) = \(layer.decays[$0].gamma)" })
        #expect(trace.nodes(.scores).map(\.group) == (0..<heads).map { $0 })
        #expect(trace.nodes(.decayMask).map(\.group) == (0..<heads).map { $0 })
        let concatenation = try #require(trace.nodes(.concatenation).first)
        #expect(trace.nodes(.concatenation).count == 1 && concatenation.group == nil)
        #expect(concatenation.inputs.map { trace[$0].group } == (0..<heads).map { $0 })
        #expect(trace.nodes(.norm).count == 1 && trace.nodes(.norm).first?.inputs == [concatenation.id])
        #expect(trace.nodes(.activation).map(\.symbol) == ["swish(X W_G)"])
        #expect(trace.nodes(.hadamard).filter { $0.group == nil }.count == 1)
        let output = try #require(trace.nodes.last)
        #expect(output.role == .output && output.symbol == "MSR(X)" && output.shape == Shape(rows: 5, columns: layer.embedDimension))
    }

    /// In the recurrent form, every head unrolls its n steps inside its own group.
    @Test func theRecurrentLayerNestsEachHeadsStepsInItsGroup() throws {
        let layer = try block(.torchscale, heads: 3).retention
        let tracer = Tracer<Double>()
        _ = try layer.pass(input(rows: 4, columns: layer.embedDimension), form: .recurrent, trace: tracer)
        let trace = tracer.trace
        let heads = trace.groups.filter { $0.parent == nil }
        #expect(heads.count == 3)
        for head in heads {
            let steps = trace.groups.filter { $0.parent == head.index }
            #expect(steps.map(\.label) == (0..<4).map { "t = \($0)" })
            #expect(trace.nodes(.stateUpdate).filter { update in steps.contains { $0.index == update.group } }.count == 4)
        }
    }

    /// Both variants: two norms, the retention as one node, two residual sums (each adding the
    /// value its half's norm read), the FFN in a group of its own.
    @Test(arguments: RetNetConfig.Variant.allCases)
    func theBlockRecordsTwoNormsAndTwoResiduals(variant: RetNetConfig.Variant) throws {
        let block = try block(variant)
        let tracer = Tracer<Double>()
        _ = try block(input(rows: 3, columns: block.retention.embedDimension), form: .parallel, from: nil, trace: tracer)
        let trace = tracer.trace
        let norms = trace.nodes(.norm)
        let normName = variant == .paper ? "LayerNorm" : "RMSNorm"
        #expect(norms.map(\.symbol) == ["\(normName)(X)", "\(normName)(Y)"])
        let sums = trace.nodes(.sum)
        #expect(sums.count == 2)
        for (sum, norm) in zip(sums, norms) { #expect(sum.inputs.contains(norm.inputs[0]), "\(sum.symbol)") }
        #expect(trace.nodes(.layer).count == 1 && trace.nodes(.layer).first?.inputs == [norms[0].id])
        #expect(trace.groups.count == 1 && trace.groups[0].label.hasPrefix(variant == .paper ? "FFN: gelu" : "FFN (GLU)"))
        let ffn = trace.nodes.filter { $0.group == 0 && $0.role != .parameter }
        #expect(ffn.map(\.operation) == (variant == .paper
            ? [.projection, .activation, .projection] : [.projection, .activation, .projection, .hadamard, .projection]))
        #expect(trace.nodes.last?.role == .output && trace.nodes.last?.id == sums[1].id)
    }
}
