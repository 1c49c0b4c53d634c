import Foundation
import Layers
import Matrices
import MultiScaleRetention
import SafeTensors
import TestSupport
import Testing
import TorchscaleCheckpoint

/// The θ and log γ buffers: used as stored, refused only beyond the rounding of their type.
@Suite struct StoredBufferTests {
    /// Checkpoints whose buffers differ from this package's float32 computation: built in float64
    /// (correctly rounded angles, up to 6 ulps from float32's), saved in float16 and in bfloat16.
    static let storedOtherwise = ["float64-built-saved-f32", "saved-f16", "saved-bf16"]

    @Test(arguments: storedOtherwise)
    func storedBuffersAreWithinTheirAllowanceAndReported(fixture: String) throws {
        let checkpoint = try TorchscaleCheckpoint(directory: Fixtures.directory(fixture))
        let buffers = try checkpoint.storedBuffers()
        #expect(buffers.map(\.name) == ["retnet_rel_pos.angle", "retnet_rel_pos.decay"])
        for buffer in buffers {
            #expect(buffer.ratio(at: buffer.worst) <= 1, "\(fixture): \(buffer.summary)")
        }
        // Each of these differs from the float32 computation somewhere: the loader cannot be
        // comparing the config with itself.
        #expect(buffers.contains { $0.values != $0.implied }, "\(fixture): buffers equal the float32 computation")
    }

    /// torchscale computes with the stored values, and so must we: with the buffers removed
    /// (θ and γ then computed from the config) the model no longer reproduces torchscale's
    /// logits for a float16 checkpoint, whose angles are up to ~1e-3 relative from float32's.
    /// With them, our Double model is within 1e-6 of torchscale's float64 run (ParityTests'
    /// bound); without them it is ~4e-5 away, so 10× that bound separates the two.
    @Test func theModelComputesWithTheStoredValues() throws {
        let record = try Fixtures.record("saved-f16")
        let stored = try TorchscaleCheckpoint(directory: Fixtures.directory("saved-f16")).model(Double.self)
        let error = try stored.forward(record.tokens, form: .parallel, scaling: .paper).logits
            .deviation(from: record.parallelFloat64).maxAbsolute
        #expect(error <= 1e-6, "with the stored buffers: max |Δ| = \(error)")

        let scratch = try ScratchCheckpoint(from: "saved-f16")
        defer { scratch.remove() }
        try scratch.editWeights { $0["retnet_rel_pos.angle"] = nil; $0["retnet_rel_pos.decay"] = nil }
        let computed = try TorchscaleCheckpoint(directory: scratch.url).model(Double.self)
        let without = try computed.forward(record.tokens, form: .parallel, scaling: .paper).logits
            .deviation(from: record.parallelFloat64).maxAbsolute
        #expect(without > 1e-5, "without the stored buffers the logits should move, max |Δ| = \(without)")
    }

    @Test func aDecayBufferOfAnotherScheduleIsRefusedWithIndexAndValues() throws {
        // Two heads, Eq. 8: γ = 1 − 2^−5, 1 − 2^−6. The experiments' schedule ends at 1 − 1/512.
        let scratch = try ScratchCheckpoint(from: "two-heads-swish-wide-values")
        defer { scratch.remove() }
        let other = DecaySchedule.linspace.float32LogGammas(heads: 2)
        try scratch.editWeights { $0["retnet_rel_pos.decay"] = ([2], other) }
        let implied = Float.log(1 - 0x1p-6)
        #expect(scratch.loadError() == .bufferMismatch(name: "retnet_rel_pos.decay", index: 1, expected: implied, got: other[1]))
    }

    @Test func anglesOfAnotherKeyDimensionAreRefused() throws {
        // key_dim 8 (4 pairs); store the first 4 angles of key_dim 10 (5 pairs) instead.
        let scratch = try ScratchCheckpoint(from: "two-heads-swish-wide-values")
        defer { scratch.remove() }
        let other = Array(Rotation.float32Angles(pairs: 5).prefix(4)).flatMap { [$0, $0] }
        try scratch.editWeights { $0["retnet_rel_pos.angle"] = ([8], other) }
        let implied = Rotation.float32Angles(pairs: 4).flatMap { [$0, $0] }
        guard case .bufferMismatch(let name, let index, let expected, let got)? = scratch.loadError() else {
            Issue.record("angles of another key_dim were accepted: \(String(describing: scratch.loadError()))")
            return
        }
        #expect(name == "retnet_rel_pos.angle" && index >= 2)  // the first angle is 1 for every key_dim
        #expect(expected == implied[index] && got == other[index])
    }

    @Test func aPairWhoseTwoAnglesDifferIsRefused() throws {
        let scratch = try ScratchCheckpoint(from: "two-heads-swish-wide-values")
        defer { scratch.remove() }
        var angles = Rotation.float32Angles(pairs: 4).flatMap { [$0, $0] }
        angles[3] = angles[2].nextUp  // within the allowance, but no longer one angle per pair
        try scratch.editWeights { $0["retnet_rel_pos.angle"] = ([8], angles) }
        #expect(scratch.loadError() == .bufferMismatch(name: "retnet_rel_pos.angle", index: 3, expected: angles[2], got: angles[3]))
    }

    @Test func aBufferOfAnotherLengthIsAShapeError() throws {
        let scratch = try ScratchCheckpoint(from: "two-heads-swish-wide-values")
        defer { scratch.remove() }
        try scratch.editWeights { $0["retnet_rel_pos.decay"] = ([3], DecaySchedule.eq8.float32LogGammas(heads: 3)) }
        #expect(scratch.loadError() == .tensorShape(name: "retnet_rel_pos.decay", expected: [2], got: [3]))
    }
}
