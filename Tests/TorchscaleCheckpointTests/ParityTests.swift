import Foundation
import Matrices
import TestSupport
import Testing
import TorchscaleCheckpoint

/// Our model, loaded from torchscale's own checkpoints, gives torchscale's logits.
///
/// Each of torchscale's modes is exact retention with its own per-row factor on every head
/// (`RowScaling`): D̃ and R̃ in parallel mode, D̃ in recurrent mode, its chunk scales in
/// chunkwise mode. The per-head RMSNorm removes these factors only when ε = 0, so at ε = 1e-6
/// the three modes give logits ~1e-2 apart, and each of ours is compared with the *same* mode
/// of theirs, with that mode's factors. Our exact forms (no factors) match all of theirs when
/// ε = 0, and their parallel mode at any ε only up to the ε effect.
///
/// Bounds. Logits here are O(1) (max |logit| ≈ 3.5). In float32, two implementations of the
/// same function differ by rounding in different orders: torchscale's own float32 and float64
/// runs of one checkpoint differ by up to 6e-7 absolute (logits.json), so two float32
/// implementations may differ by about twice that. 1e-5 absolute leaves a margin of ~8 over
/// that and still fails on any real mismatch (a wrong norm weight, scale or rotation moves the
/// logits by 1e-2 or more). Against torchscale's float64 run, our Double model differs only by
/// the float32 sin/cos of the rotation (torch and the C library may round the last bit
/// differently, 6e-8 relative) and the weights, which both sides read as the same float32
/// values: 1e-6 absolute.
@Suite struct TorchscaleParity {
    static let floatBound = 1e-5
    static let doubleBound = 1e-6

    func maxError(_ ours: Matrix<Double>, _ theirs: Matrix<Double>) -> Double {
        ours.deviation(from: theirs).maxAbsolute
    }

    @Test(arguments: Fixtures.names)
    func parallelMatchesTheirParallel(fixture: String) throws {
        let record = try Fixtures.record(fixture)
        let checkpoint = try TorchscaleCheckpoint(directory: Fixtures.directory(fixture))
        let ours = try checkpoint.model(Float.self).forward(record.tokens, form: .parallel, scaling: .paper).logits
            .converted(to: Double.self)
        let error = maxError(ours, record.parallel)
        #expect(error <= Self.floatBound, "\(fixture): parallel max |Δ| = \(error) > \(Self.floatBound)")
    }

    @Test(arguments: Fixtures.names)
    func recurrentMatchesTheirRecurrent(fixture: String) throws {
        let record = try Fixtures.record(fixture)
        let model = try TorchscaleCheckpoint(directory: Fixtures.directory(fixture)).model(Float.self)
        // Row n of a recurrent pass depends only on tokens 0…n: the logits of decoding one by one.
        let rows = try model.forward(record.tokens, form: .recurrent, scaling: .decay).logits
        let error = maxError(rows.converted(to: Double.self), record.recurrent)
        #expect(error <= Self.floatBound, "\(fixture): recurrent max |Δ| = \(error) > \(Self.floatBound)")
    }

    @Test(arguments: Fixtures.names)
    func doubleModelMatchesTheirFloat64Run(fixture: String) throws {
        let record = try Fixtures.record(fixture)
        let ours = try TorchscaleCheckpoint(directory: Fixtures.directory(fixture)).model(Double.self)
            .forward(record.tokens, form: .parallel, scaling: .paper).logits
        let error = maxError(ours, record.parallelFloat64)
        #expect(error <= Self.doubleBound, "\(fixture): Double vs torchscale float64, max |Δ| = \(error) > \(Self.doubleBound)")
    }

    @Test(arguments: Fixtures.names)
    func chunkwiseMatchesTheirChunkwise(fixture: String) throws {
        let record = try Fixtures.record(fixture)
        guard let theirs = record.chunkwise else { return }  // NaN in torchscale: see the test below
        let model = try TorchscaleCheckpoint(directory: Fixtures.directory(fixture)).model(Float.self)
        let ours = try model.forward(record.tokens, form: .chunkwise(chunkSize: record.chunkSize),
                                     scaling: .torchscaleChunkwise(chunkSize: record.chunkSize)).logits
        let error = maxError(ours.converted(to: Double.self), theirs)
        #expect(error <= Self.floatBound, "\(fixture): chunkwise with torchscale's chunk scales, max |Δ| = \(error)")
    }

    /// Our chunkwise form computes exact retention, so at ε = 0 it matches torchscale's parallel
    /// mode; at ε = 1e-6 torchscale's own chunkwise mode is ~1e-2 away from its parallel mode.
    @Test(arguments: Fixtures.names)
    func exactChunkwiseMatchesTheirParallelAtEpsZero(fixture: String) throws {
        let record = try Fixtures.record(fixture)
        let model = try TorchscaleCheckpoint(directory: Fixtures.directory(fixture)).model(Float.self)
        let ours = try model.logits(record.tokens, form: .chunkwise(chunkSize: record.chunkSize)).converted(to: Double.self)
        let error = maxError(ours, record.parallel)
        if record.layernormEps == 0 {
            #expect(error <= Self.floatBound, "\(fixture): our chunkwise vs their parallel at ε = 0, max |Δ| = \(error)")
        } else {
            let theirGap = try maxError(#require(record.chunkwise), record.parallel)
            #expect(theirGap > 1e-3, "\(fixture): expected torchscale's chunkwise to differ at ε = \(record.layernormEps), gap \(theirGap)")
            #expect(error > 1e-4, "\(fixture): at ε = \(record.layernormEps) exact retention should show the ε effect, got \(error)")
        }
    }

    @Test func torchscaleChunkwiseWithEpsZeroAndPaddingIsNaN() throws {
        // Recorded by the fixture script: with ε = 0, torchscale's zero padding of a length that is
        // not a multiple of B gives RMSNorm(0) = 0/0 = NaN, which then spreads. Ours has no padding.
        let record = try Fixtures.record("four-heads-three-layers-eps0")
        #expect(record.chunkwise == nil && record.tokens.count % record.chunkSize != 0)
        let model = try TorchscaleCheckpoint(directory: Fixtures.directory("four-heads-three-layers-eps0")).model(Float.self)
        #expect(try model.logits(record.tokens, form: .chunkwise(chunkSize: record.chunkSize)).isFinite)
    }

    @Test func everyCommittedFixtureIsChecked() {
        #expect(Fixtures.names.sorted() == Fixtures.onDisk,
                "Fixtures.names \(Fixtures.names.sorted()) vs the folders in \(Fixtures.root.path): \(Fixtures.onDisk)")
    }

    @Test func theCheckpointHasTheExpectedParameterCount() throws {
        let checkpoint = try TorchscaleCheckpoint(directory: Fixtures.directory("one-head-gelu"))
        // E = 8, V = 8, F = 16, vocab 32, one layer: embeddings and output 2·32·8, q,k,v,g,out 5·64,
        // two block norms 16, ffn 3·128, final norm 8.
        #expect(checkpoint.parameterCount == 512 + 320 + 16 + 384 + 8)
    }
}
