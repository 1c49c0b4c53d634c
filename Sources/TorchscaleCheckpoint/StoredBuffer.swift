import Layers
import Matrices
import SafeTensors

/// One of torchscale's two buffers as a checkpoint stores it — `retnet_rel_pos.angle` (θ, each
/// pair's angle twice) or `retnet_rel_pos.decay` (log γ, one per head) — beside the values its
/// config implies.
///
/// torchscale recomputes both from the config when it builds a model, but `load_state_dict`
/// then overwrites them, so it computes with the *stored* values; so does this package. What
/// is stored depends on how the model was made: computed in float32 by one torch build (e.g.
/// 0.006579335 for 10000^(−6/11)), in float64 and rounded (0.006579332), or rounded again to
/// float16 / bfloat16 by `model.half()` / `.bfloat16()`. A stored value is accepted when
///
///     |stored − implied| ≤ 2 ulp_stored(implied) + 16 ulp_F32(implied)
///
/// - 2 ulps of the stored type: storing rounds once (≤ ½ ulp), from a float32 or a float64
///   value alike;
/// - 16 ulps of float32: the implied value is itself a float32 computation whose result another
///   machine or a float64 build need not share. For θ = 10000^(−t), t from a float32 linspace
///   is off by up to 2⁻²⁵, which 10000^(−t) amplifies by ln 10000 ≈ 9.2 to ≤ 2.7e-7 relative
///   (≤ 4.6 ulps), and pow and log round in the last place or two on each side.
///
/// A checkpoint made for another model is off by far more: another key_dim changes the
/// linspace step and so every angle after the first by ≥ 10%, and another head count or decay
/// schedule changes 1 − γ of some head by a factor of about 2.
public struct StoredBuffer: Sendable, Equatable {
    /// The buffer's name in the state dict.
    public let name: String
    /// The type it was stored in.
    public let dtype: DType
    /// The stored values, converted to Float (exactly, from F16, BF16 and F32).
    public let values: [Float]
    /// What the config implies, computed in float32 as torchscale does.
    public let implied: [Float]

    /// The index whose |stored − implied| is largest against its allowance (0 when equal).
    public var worst: Int {
        values.indices.max { ratio(at: $0) < ratio(at: $1) } ?? 0
    }

    /// |stored − implied| over the allowance at `index`: the value is accepted when ≤ 1.
    public func ratio(at index: Int) -> Double {
        let difference = (Double(values[index]) - Double(implied[index])).magnitude
        guard difference.isFinite else { return .infinity }
        return difference == 0 ? 0 : difference / allowance(at: index)
    }

    /// |stored − implied| at `index` in ulps of the stored type at the implied value.
    public func ulpsOfStoredType(at index: Int) -> Double {
        let difference = (Double(values[index]) - Double(implied[index])).magnitude
        return difference / (dtype.ulp(of: Double(implied[index])) ?? .nan)
    }

    /// 2 ulps of the stored type plus 16 ulps of float32, at the implied value.
    public func allowance(at index: Int) -> Double {
        let x = Double(implied[index])
        return 2 * (dtype.ulp(of: x) ?? .nan) + 16 * DType.f32.ulp(of: x)!
    }

    /// One line for `retnet inspect`: the worst entry and how far it is.
    public var summary: String {
        let i = worst
        guard !values.isEmpty else { return "\(name)  \(dtype.rawValue)  empty" }
        return "\(name)  \(dtype.rawValue)  worst [\(i)]: stored \(values[i]), config implies \(implied[i]) — "
            + "\(Format.fixed(ulpsOfStoredType(at: i), 2)) ulps of \(dtype.rawValue), "
            + "\(Format.fixed(ratio(at: i), 3)) of the allowance (2 ulps of \(dtype.rawValue) + 16 of F32)"
    }
}

extension TorchscaleCheckpoint {
    /// The buffers this checkpoint stores, each beside what its config implies; a buffer that
    /// is absent is not listed (the model then computes θ and γ from the config).
    ///
    /// Their lengths (key_dim angles, one log γ per head) were checked when the checkpoint was
    /// loaded; throws `.weights` for a buffer that cannot be read as floats.
    public func storedBuffers() throws(CheckpointError) -> [StoredBuffer] {
        var buffers: [StoredBuffer] = []
        if let angle = weights.tensors["retnet_rel_pos.angle"] {
            let expected = Rotation.float32Angles(pairs: config.keyDim / 2).flatMap { [$0, $0] }
            buffers.append(try stored("retnet_rel_pos.angle", angle, implied: expected))
        }
        if let decay = weights.tensors["retnet_rel_pos.decay"] {
            let expected = config.decaySchedule.float32LogGammas(heads: config.retentionHeads)
            buffers.append(try stored("retnet_rel_pos.decay", decay, implied: expected))
        }
        return buffers
    }

    private func stored(_ name: String, _ tensor: SafeTensors.Tensor, implied: [Float]) throws(CheckpointError) -> StoredBuffer {
        let values: [Float]
        do { values = try weights.floats(name) } catch { throw .weights(error) }
        return StoredBuffer(name: name, dtype: tensor.dtype, values: values, implied: implied)
    }

    /// The rotation and the γ of each head the model computes with: from the stored buffers
    /// when present (each checked against the config), otherwise from the config.
    ///
    /// Throws `.bufferMismatch` naming the buffer, the index and both values for a value beyond
    /// its allowance, and for an angle pair whose two entries differ (torchscale turns both
    /// entries of a pair by one angle only when they are equal).
    func positionalBuffers() throws(CheckpointError) -> (rotation: Rotation, gammas: [Double]) {
        var angles = Rotation.float32Angles(pairs: config.keyDim / 2)
        var gammas = config.gammas
        for buffer in try storedBuffers() {
            let i = buffer.worst
            guard buffer.ratio(at: i) <= 1 else {
                throw .bufferMismatch(name: buffer.name, index: i, expected: buffer.implied[i], got: buffer.values[i])
            }
            if buffer.name == "retnet_rel_pos.angle" {
                for j in angles.indices where buffer.values[2 * j + 1] != buffer.values[2 * j] {
                    throw .bufferMismatch(name: buffer.name, index: 2 * j + 1, expected: buffer.values[2 * j],
                                          got: buffer.values[2 * j + 1])
                }
                angles = angles.indices.map { buffer.values[2 * $0] }
            } else {
                // γ = exp(log γ), as torchscale applies the buffer (`decay.exp()`).
                gammas = buffer.values.map { Double.exp(Double($0)) }
            }
        }
        do {
            return (try Rotation(float32Angles: angles), gammas)
        } catch {
            throw .model(.config(field: "decoder_embed_dim", expected: "key_dim ≥ 2", got: "\(error)"))
        }
    }
}
