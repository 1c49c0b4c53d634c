import FastTraining
import Matrices

/// AdamW (Loshchilov & Hutter 2019), as PyTorch's `torch.optim.AdamW` computes it: weight decay
/// *decoupled* from the gradient — the weights shrink by η λ directly, instead of λ w being
/// added to the gradient, where Adam's per-weight scaling would distort it — then Adam's step
/// with bias-corrected moments. For a weight w with gradient g at step t = 1, 2, …:
///
///     w ← w (1 − η λ)                         (only for weights that decay)
///     m ← β₁ m + (1 − β₁) g                   v ← β₂ v + (1 − β₂) g²
///     w ← w − η (m / (1 − β₁ᵗ)) / (√v / √(1 − β₂ᵗ) + ε)
///
/// Which weights decay follows nanoGPT's `configure_optimizers`: every tensor of two or more
/// dimensions (the projections, the FFN, the token embedding and the output projection), and no
/// tensor of one dimension (norm weights and biases). Defaults are nanoGPT's `shakespeare_char`:
/// β₁ = 0.9, β₂ = 0.99 (a small model on few tokens per step), ε = 10⁻⁸, λ = 0.1.
public struct AdamW: Sendable, Equatable, Codable {
    public let beta1: Double
    public let beta2: Double
    public let eps: Double
    public let weightDecay: Double

    /// Throws `.setting` unless 0 ≤ β₁, β₂ < 1, ε > 0 and λ ≥ 0 (all finite).
    public init(beta1: Double = 0.9, beta2: Double = 0.99, eps: Double = 1e-8, weightDecay: Double = 0.1) throws(TrainingError) {
        for (name, beta) in [("beta1", beta1), ("beta2", beta2)] where !(beta >= 0 && beta < 1) {
            throw .setting(name: name, expected: "a value in [0, 1)", got: "\(beta)")
        }
        guard eps > 0 && eps.isFinite else { throw .setting(name: "eps", expected: "a finite ε > 0", got: "\(eps)") }
        guard weightDecay >= 0 && weightDecay.isFinite else {
            throw .setting(name: "weight decay", expected: "a finite λ ≥ 0", got: "\(weightDecay)")
        }
        (self.beta1, self.beta2, self.eps, self.weightDecay) = (beta1, beta2, eps, weightDecay)
    }

    /// Whether a tensor of this shape decays (nanoGPT: `p.dim() >= 2`).
    public static func decays(shape: [Int]) -> Bool { shape.count >= 2 }

    /// The optimiser's memory: the step count t and the moments m and v of every parameter
    /// (named as the parameters, zero before the first step).
    public struct State: Sendable, Equatable {
        public var step: Int
        public var firstMoments: [NamedTensor]
        public var secondMoments: [NamedTensor]

        /// t = 0, moments zero, shaped like `parameters`.
        public init(zeroFor parameters: [NamedTensor]) {
            let zero = parameters.map { NamedTensor(name: $0.name, shape: $0.shape, values: [Float](repeating: 0, count: $0.values.count)) }
            (step, firstMoments, secondMoments) = (0, zero, zero)
        }

        public init(step: Int, firstMoments: [NamedTensor], secondMoments: [NamedTensor]) {
            (self.step, self.firstMoments, self.secondMoments) = (step, firstMoments, secondMoments)
        }
    }

    /// One step at learning rate η: replaces the values of `parameters` and `state`, each gradient
    /// multiplied by `gradientScale` first (global-norm clipping's factor; 1: the gradients as
    /// given). The moments and weights are Float, as PyTorch keeps them for a float32 model; the
    /// bias corrections are computed in Double, as PyTorch computes them in Python. The entries
    /// are updated by `ParameterUpdate.adamW` (module `FastTraining`): SIMD, on up to `threads`
    /// threads, the same bits on any number of them.
    ///
    /// Throws `.setting` when the gradients or the state are not named and shaped as the parameters.
    public func update(_ parameters: inout [NamedTensor], gradients: [NamedTensor], learningRate: Double,
                       state: inout State, gradientScale: Float = 1, threads: Int = 1) throws(TrainingError)
    {
        for (i, p) in parameters.enumerated() {
            for (what, other) in [("gradient", gradients), ("first moment", state.firstMoments), ("second moment", state.secondMoments)] {
                guard i < other.count, other[i].name == p.name, other[i].values.count == p.values.count else {
                    throw .setting(name: "\(what) of \(p.name)", expected: "a tensor of the parameter's name and shape \(p.shape)",
                                   got: i < other.count ? "\(other[i].name) \(other[i].shape)" : "none")
                }
            }
        }
        for (what, other) in [("gradients", gradients), ("first moments", state.firstMoments), ("second moments", state.secondMoments)]
            where other.count != parameters.count
        {
            throw .setting(name: what, expected: "\(parameters.count) tensors", got: "\(other.count)")
        }
        state.step += 1
        let t = Double(state.step)
        let constants = ParameterUpdate.AdamWConstants(
            gradientScale: gradientScale, shrink: Float(1 - learningRate * weightDecay),
            stepSize: Float(learningRate / (1 - Double.pow(beta1, t))),
            secondCorrection: Float((1 - Double.pow(beta2, t)).squareRoot()), beta1: Float(beta1), beta2: Float(beta2),
            eps: Float(eps))
        let decays = parameters.map { Self.decays(shape: $0.shape) }
        // Out of place: the new weights and moments are written to new arrays, the old ones only
        // read. A caller that keeps the old values (to leave them as they were if a later step
        // throws, as `OptimiserStep` does) then copies nothing.
        for start in stride(from: 0, to: parameters.count, by: ParameterUpdate.tensorsPerCall) {
            let group = start..<min(start + ParameterUpdate.tensorsPerCall, parameters.count)
            let counts = parameters[group].map(\.values.count), n = group.count
            let new = Array(gradients[group]).withValueBuffers { g in
                Array(parameters[group]).withValueBuffers { w in
                    Array(state.firstMoments[group]).withValueBuffers { m in
                        Array(state.secondMoments[group]).withValueBuffers { v in
                            [[Float]].filled(counts: counts + counts + counts) { out in
                                ParameterUpdate.adamW(weights: w, gradients: g, firstMoments: m, secondMoments: v,
                                                      into: (Array(out[0..<n]), Array(out[n..<2 * n]), Array(out[(2 * n)...])),
                                                      decays: Array(decays[group]), constants: constants, threads: threads)
                            }
                        }
                    }
                }
            }
            for (k, i) in group.enumerated() {
                parameters[i].values = new[k]
                state.firstMoments[i].values = new[n + k]
                state.secondMoments[i].values = new[2 * n + k]
            }
        }
    }
}
