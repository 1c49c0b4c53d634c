/// Clipping by the global norm, as PyTorch's `clip_grad_norm_` (nanoGPT's `grad_clip`): the
/// norm ‖g‖ = √(Σ g²) over every gradient entry of the model together; when it exceeds `maxNorm`,
/// every gradient is multiplied by maxNorm / (‖g‖ + 10⁻⁶), so the direction is kept and the
/// length becomes (just under) maxNorm. The sum of squares is accumulated in Double, in the
/// tensors' order, so the result is the same on every run.
public enum GradientClipping {
    /// ‖g‖ over all of `gradients`.
    public static func globalNorm(_ gradients: [NamedTensor]) -> Double {
        var sum = 0.0
        for tensor in gradients {
            tensor.values.withUnsafeBufferPointer { values in
                for g in values { sum += Double(g) * Double(g) }
            }
        }
        return sum.squareRoot()
    }

    /// Scales `gradients` to norm `maxNorm` when their norm is larger (`maxNorm` = 0 turns clipping
    /// off, as nanoGPT's `grad_clip = 0`); returns the norm before clipping.
    @discardableResult
    public static func clip(_ gradients: inout [NamedTensor], maxNorm: Double) -> Double {
        let norm = globalNorm(gradients)
        guard maxNorm > 0 && norm > maxNorm else { return norm }
        let factor = Float(maxNorm / (norm + 1e-6))
        for i in gradients.indices {
            gradients[i].values.withUnsafeMutableBufferPointer { values in
                for j in values.indices { values[j] *= factor }
            }
        }
        return norm
    }
}
