import Layers
import Matrices
import TestSupport
import MultiScaleRetention
import Retention
import Testing

@Suite("Multi-scale retention layer")
struct LayerTests {
    static let norms: [HeadNorm<Double>] = [.rms(eps: 0), .rms(eps: 1e-6), .groupNorm(width: 12, eps: 0)]

    @Test("three forms agree (Double, 1e-12), with both norms, both rotations, any chunk size")
    func formsAgree() throws {
        let x = inputs(rows: 17, columns: 8, seed: 2)
        for (index, norm) in Self.norms.enumerated() {
            for precision in [Rotation.Precision.double, .float32] {
                let layer = try makeLayer(norm: norm, precision: precision, seed: UInt64(index + 1))
                let parallel = try layer(x)
                let recurrent = try layer(x, form: .recurrent)
                expectClose(recurrent.output, parallel.output, relative: 1e-12, "\(norm) \(precision): recurrent vs parallel")
                for b in [1, 3, 17, 40] {
                    let chunkwise = try layer(x, form: .chunkwise(chunkSize: b))
                    expectClose(chunkwise.output, parallel.output, relative: 1e-12, "\(norm) \(precision): chunkwise B=\(b) vs parallel")
                    for h in 0..<layer.heads {
                        expectClose(chunkwise.state.heads[h].s, parallel.state.heads[h].s, relative: 1e-12, "state of head \(h), B=\(b)")
                        #expect(chunkwise.state.heads[h].position == 17)
                    }
                }
                #expect(parallel.state.position == 17 && recurrent.state.position == 17)
            }
        }
    }

    @Test("each head is the Retention module's parallel form on its columns, with its own γ")
    func headsAreRetention() throws {
        let layer = try makeLayer(embed: 12, value: 9, heads: 3, gammas: [0.5, 0.9, 1])
        let x = inputs(rows: 6, columns: 12, seed: 5)
        let pass = try layer.pass(x)
        let q = x.applyingLinear(layer.qProj), k = layer.keyScale * x.applyingLinear(layer.kProj), v = x.applyingLinear(layer.vProj)
        for h in 0..<3 {
            let qh = try layer.rotation.apply(q.columnRange((4 * h)..<(4 * h + 4)), offset: 0)
            let kh = try layer.rotation.apply(k.columnRange((4 * h)..<(4 * h + 4)), offset: 0)
            let expected = try ParallelRetention.outputs(q: qh, k: kh, v: v.columnRange((3 * h)..<(3 * h + 3)), decay: layer.decays[h])
            #expect(pass.retention.columnRange((3 * h)..<(3 * h + 3)) == expected, "head \(h)")
        }
        // MSR(X) = (swish(G) ⊙ Y) W_Oᵀ, with swish by hand.
        let g = x.applyingLinear(layer.gProj).map { $0 / (1 + Double.exp(-$0)) }
        expectClose(pass.output, g.hadamard(pass.normalised).applyingLinear(layer.outProj), relative: 1e-15, "gate and W_O")
    }

    @Test("hand-off: prefill (parallel or chunkwise), then recurrent or chunkwise from the state = parallel")
    func handOff() throws {
        let layer = try makeLayer(norm: .groupNorm(width: 12, eps: 1e-5), precision: .float32)
        let x = inputs(rows: 19, columns: 8, seed: 7)
        let whole = try layer(x).output
        for split in [1, 7, 18] {
            for prefill in [RetentionForm.parallel, .chunkwise(chunkSize: 4)] {
                let first = try layer(x.rowRange(0..<split), form: prefill)
                for rest in [RetentionForm.recurrent, .chunkwise(chunkSize: 3)] {
                    let second = try layer(x.rowRange(split..<19), form: rest, from: first.state)
                    expectClose(first.output.stacked(above: second.output), whole, relative: 1e-12,
                                "split \(split): \(prefill) then \(rest)")
                    #expect(second.state.position == 19)
                }
            }
        }
    }

    @Test("ε = 0: every score normalisation and every torchscale mode's factors vanish after the norm")
    func normalisationInvariance() throws {
        let x = inputs(rows: 13, columns: 8, seed: 8)
        for norm in [HeadNorm<Double>.rms(eps: 0), .groupNorm(width: 12, eps: 0)] {
            let layer = try makeLayer(norm: norm)
            let exact = try layer.pass(x)
            for scaling in [RowScaling.decay, .retention, .paper, .torchscaleChunkwise(chunkSize: 4)] {
                let scaled = try layer.pass(x, scaling: scaling)
                expectClose(scaled.output, exact.output, relative: 1e-12, "\(norm), \(scaling)")
                #expect(relativeError(scaled.retention, exact.retention) > 1e-2, "\(scaling) should change the heads before the norm")
            }
            expectClose(try layer.with(keyScale: 1).pass(x).output, exact.output, relative: 1e-12, "\(norm), no QKᵀ/√d")
            // With ε > 0 the factors show.
            let eps = try layer.with(headNorm: norm.with(eps: 1e-2))
            #expect(relativeError(try eps.pass(x, scaling: .paper).output, try eps.pass(x).output) > 1e-4)
        }
    }

    @Test("Float layer ≈ Double layer within 1e-5 relative")
    func floatAgrees() throws {
        // Inputs and weights round at 2^-24 ≈ 6e-8; each output sums O(E + n + V) such products and the
        // norm divides by a root mean square of d_v terms: a few 1e-7 expected, 1e-5 leaves margin.
        let layer = try makeLayer(norm: .rms(eps: 1e-6), precision: .float32)
        let x = inputs(rows: 15, columns: 8, seed: 10)
        let double = try layer(x).output
        let float = try layer.converted(to: Float.self)
        for form in [RetentionForm.parallel, .recurrent, .chunkwise(chunkSize: 4)] {
            expectClose(try float(x.converted(), form: form).output.converted(to: Double.self), double, relative: 1e-5, "Float \(form)")
        }
    }

    @Test("bad sizes, weights, γ, inputs and states are clear errors")
    func errors() throws {
        func invalid(_ field: String, _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                try body()
                Issue.record("expected an error naming \(field)", sourceLocation: sourceLocation)
            } catch let error as MultiScaleRetentionError {
                guard case .invalid(let got, _, _) = error else {
                    Issue.record("expected .invalid(\(field)), got \(error)", sourceLocation: sourceLocation)
                    return
                }
                #expect(got == field, "\(error)", sourceLocation: sourceLocation)
            } catch let error as ShapeError {
                // The rotation (module Layers) checks its own argument, d_k.
                #expect(error.argument == field, "\(error)", sourceLocation: sourceLocation)
            } catch {
                Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
            }
        }
        invalid("decoder_embed_dim") { _ = try makeLayer(embed: 9, value: 12, heads: 2) }
        invalid("decoder_value_embed_dim") { _ = try makeLayer(embed: 8, value: 7, heads: 2) }
        invalid("key_dim") { _ = try makeLayer(embed: 6, value: 6, heads: 2) }
        invalid("decoder_retention_heads") { try MultiScaleRetentionLayer<Double>.checkSizes(embedDimension: 4, valueDimension: 4, heads: 0) }
        invalid("gammas[1]") { _ = try makeLayer(gammas: [0.9, 1.5]) }
        invalid("gammas") { _ = try makeLayer(gammas: [0.9]) }
        invalid("layernorm_eps") { _ = try makeLayer(norm: .rms(eps: -1)) }
        invalid("group_norm.weight/bias") { _ = try makeLayer(norm: .groupNorm(width: 8, eps: 0)) }
        let layer = try makeLayer()
        invalid("q_proj.weight") {
            _ = try MultiScaleRetentionLayer(heads: 2, qProj: Matrix(rows: 7, columns: 8), kProj: layer.kProj, vProj: layer.vProj,
                                             gProj: layer.gProj, outProj: layer.outProj, headNorm: layer.headNorm,
                                             gammas: layer.gammas, rotation: layer.rotation, keyScale: 1)
        }
        invalid("out_proj.weight") {
            _ = try MultiScaleRetentionLayer(heads: 2, qProj: layer.qProj, kProj: layer.kProj, vProj: layer.vProj,
                                             gProj: layer.gProj, outProj: layer.vProj, headNorm: layer.headNorm,
                                             gammas: layer.gammas, rotation: layer.rotation, keyScale: 1)
        }
        invalid("X") { _ = try layer(inputs(rows: 3, columns: 7, seed: 1)) }
        let x = inputs(rows: 4, columns: 8, seed: 1)
        let state = try layer(x, form: .recurrent).state
        invalid("state") { _ = try layer(x, form: .parallel, from: state) }
        invalid("scaling") { _ = try layer.pass(x, form: .recurrent, from: state, scaling: .paper) }
        let other = try makeLayer(embed: 12, value: 12, heads: 3)
        invalid("state.heads") { _ = try layer(x, form: .recurrent, from: try other(inputs(rows: 2, columns: 12, seed: 1)).state) }
        var wrongShape = state
        wrongShape.heads[1] = RetentionState(s: Matrix(rows: 4, columns: 5), position: 4)
        invalid("state.heads[1].s") { _ = try layer(x, form: .recurrent, from: wrongShape) }
        var wrongPosition = state
        wrongPosition.heads[1].position = 3
        invalid("state.heads[1].position") { _ = try layer(x, form: .chunkwise(chunkSize: 2), from: wrongPosition) }
        #expect(throws: MultiScaleRetentionError.head(0, .chunkSize(0))) { _ = try layer(x, form: .chunkwise(chunkSize: 0)) }
        #expect("\(MultiScaleRetentionError.invalid(field: "f", expected: "e", got: "g"))" == "f: expected e, got g")
    }
}
