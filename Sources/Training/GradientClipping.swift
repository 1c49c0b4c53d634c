import FastTraining

/// Clipping by the global norm, as PyTorch's `clip_grad_norm_` (nanoGPT's `grad_clip`): the
/// norm ‖g‖ = √(Σ g²) over every gradient entry of the model together; when it exceeds `maxNorm`,
/// every gradient is multiplied by maxNorm / (‖g‖ + 10⁻⁶), so the direction is kept and the
/// length becomes (just under) maxNorm. The sum of squares is accumulated in Double over fixed
/// blocks of each tensor, the blocks' sums added in block order (`ParameterUpdate.sumOfSquares`),
/// so the result is the same on every run and on any number of threads.
///
/// A training step does not scale the gradients here: `OptimiserStep` hands `factor` to AdamW,
/// which multiplies each gradient by it as it reads it, in the same pass as its update.
public enum GradientClipping {
    /// ‖g‖ over all of `gradients`, on up to `threads` threads.
    public static func globalNorm(_ gradients: [NamedTensor], threads: Int = 1) -> Double {
        var sum = 0.0
        for start in stride(from: 0, to: gradients.count, by: ParameterUpdate.tensorsPerCall) {
            let group = Array(gradients[start..<min(start + ParameterUpdate.tensorsPerCall, gradients.count)])
            sum += group.withValueBuffers { ParameterUpdate.sumOfSquares($0, threads: threads) }
        }
        return sum.squareRoot()
    }

    /// What every gradient is multiplied by for a global norm `norm`: maxNorm / (norm + 10⁻⁶) when
    /// the norm exceeds `maxNorm`, else 1 (and always 1 for `maxNorm` = 0, clipping off, as
    /// nanoGPT's `grad_clip = 0`).
    public static func factor(norm: Double, maxNorm: Double) -> Float {
        maxNorm > 0 && norm > maxNorm ? Float(maxNorm / (norm + 1e-6)) : 1
    }

    /// Scales `gradients` to norm `maxNorm` when their norm is larger (`maxNorm` = 0 turns clipping
    /// off); returns the norm before clipping.
    @discardableResult
    public static func clip(_ gradients: inout [NamedTensor], maxNorm: Double, threads: Int = 1) -> Double {
        let norm = globalNorm(gradients, threads: threads)
        let factor = factor(norm: norm, maxNorm: maxNorm)
        guard factor != 1 else { return norm }
        for i in gradients.indices {
            gradients[i].values.withUnsafeMutableBufferPointer { values in
                for j in values.indices { values[j] *= factor }
            }
        }
        return norm
    }
}
