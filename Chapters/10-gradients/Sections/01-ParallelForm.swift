import ArgumentParser
import ChapterSupport
import Diagonalisation
import Foundation
import Matrices
import MultiScaleRetention
import Notebook
import Retention
import RetNetModel
import SafeTensors
import TorchscaleCheckpoint

/// One head's inputs, the weights W of L = Σ O ⊙ W (so dO = W), and its parallel backward pass:
/// what the recurrent and chunkwise sections compare with.
struct SingleHeadExample {
    let q: Matrix<Double>, k: Matrix<Double>, v: Matrix<Double>, w: Matrix<Double>
    let decay: Decay<Double>
    let parallel: RetentionGradients<Double>
}

extension Chapter10 {
    /// The parallel form's backward pass, against central differences of L = Σ O ⊙ W; returns the
    /// inputs, the loss's weights and the gradients the other forms are compared with.
    func parallelForm(_ nb: Notebook) throws -> SingleHeadExample {
        nb.section("The parallel form, differentiated")
        nb.prose("""
            Write the parallel form in three steps: P = Q Kᵀ (the raw scores), A = P ⊙ D (the decayed,
            masked scores) and O = A V. Let dO = ∂L/∂O,
            the gradient arriving from whatever uses O. A matrix product P = X Y sends its gradient back
            as dX = dP Yᵀ and dY = Xᵀ dP (each entry P_ij = Σ_k X_ik Y_kj is linear in X_ik with
            coefficient Y_kj); an entry-wise product with a constant D sends its gradient back times D.
            Applied in turn:
            """)
        nb.equation("dV = Aᵀ dO,   ∂L/∂A = dO Vᵀ,   dP = (dO Vᵀ) ⊙ D,   dQ = dP K,   dK = dPᵀ Q",
                    latex: #"dV = A^{\top} dO, \quad \frac{\partial L}{\partial A} = dO\, V^{\top}, \quad dP = \left(dO\, V^{\top}\right) \odot D, \quad dQ = dP\, K, \quad dK = dP^{\top} Q"#)
        nb.prose("""
            ∂L/∂A = dO Vᵀ is not masked — every entry of A would matter if it were there — but dP, the
            gradient of the raw scores, is masked by the same D as A: a score above the diagonal never
            reached an output, and a score's gradient decays exactly as the score did. (The code calls
            dP `dA`, the gradient of the scores it keeps.) Take L = Σ O ⊙ W with a random W, so that
            dO = W plays the gradient of later layers, and compare with central differences,
            (L(x + h) − L(x − h)) / 2h for every entry x of Q, K and V in turn (`centralDifferences`
            in this chapter's main.swift: one entry moved up and down, the others left as they are).

            Usually a central difference has a truncation error h²/6 · ∂³L/∂x³, and h must be small.
            Here there is none: O is linear in each single entry of Q, of K and of V (every term of
            o_n = Σ_m γ^{n−m} (Q_n·K_m) V_m holds that entry at most once), so L is a straight line in
            it and the difference quotient is the slope exactly, for any h. So take h = 1, a step as
            large as the entries: what remains is the rounding of L, a sum of n²·d·d_v rounded products
            (about u = 1.1e-16 times its size, over 2h = 2). 1e-11 relative per tensor leaves a factor
            of several hundred over what rounding gives at the largest sizes the flags allow (≈ 2e-14
            at n = 64, d = d_v = 16, γ = 1); a wrong transpose or a missing mask is off by O(1).
            """)
        var rng = SplitMix64(seed: seed)
        let x = Matrix<Double>.gaussian(rows: length, columns: sizes.dim, using: &rng)
        let (q, k, v) = try RotatedProjections.random(model: sizes.dim, key: sizes.dim, value: sizes.valueDim, using: &rng)(x)
        let w = Matrix<Double>.gaussian(rows: length, columns: sizes.valueDim, using: &rng)
        let decay = try Decay(sizes.gamma)
        let parallel = try ParallelRetention.backward(q: q, k: k, v: v, decay: decay, outputGradient: w)
        func loss(q: Matrix<Double>, k: Matrix<Double>, v: Matrix<Double>) throws -> Double {
            weightedSum(try ParallelRetention.outputs(q: q, k: k, v: v, decay: decay), w)
        }
        nb.say("n = \(length), d = \(sizes.dim), d_v = \(sizes.valueDim), γ = \(Format.fixed(sizes.gamma, 5)); L = \(Format.fixed(try loss(q: q, k: k, v: v), 6))")
        nb.show("dQ = dP K", parallel.dQ)
        nb.check("dQ = central differences of L (h = 1)", parallel.dQ,
                 try centralDifferences(of: q, step: 1) { try loss(q: $0, k: k, v: v) }, tolerance: .relative(1e-11))
        nb.check("dK = central differences of L (h = 1)", parallel.dK,
                 try centralDifferences(of: k, step: 1) { try loss(q: q, k: $0, v: v) }, tolerance: .relative(1e-11))
        nb.check("dV = central differences of L (h = 1)", parallel.dV,
                 try centralDifferences(of: v, step: 1) { try loss(q: q, k: k, v: $0) }, tolerance: .relative(1e-11))
        nb.prose("""
            The backward pass also returns the gradient for the state the sequence starts from. The
            parallel form starts from zero, but a state S₋₁ carried in would add γ^{n+1} Q_n S₋₁ to
            row n, so ∂L/∂S₋₁ = (Q ⊙ ξ)ᵀ dO with ξ_n = γ^{n+1} — chapter 05's ξ. Check it against
            central differences of the recurrent form started from S₋₁ = 0 (again linear in each
            entry):
            """)
        func loss(start: Matrix<Double>) throws -> Double {
            var state = RetentionState<Double>(keyDimension: sizes.dim, valueDimension: sizes.valueDim)
            state.s = start
            return weightedSum(try RecurrentRetention.outputs(q: q, k: k, v: v, decay: decay, from: state).outputs, w)
        }
        nb.check("dS₋₁ = (Q ⊙ ξ)ᵀ dO = central differences of the recurrent form's L", parallel.dState,
                 try centralDifferences(of: Matrix(rows: sizes.dim, columns: sizes.valueDim), step: 1) { try loss(start: $0) },
                 tolerance: .relative(1e-11))
        nb.figure("Figures/parallel-backward.png", caption: """
            The parallel form's backward pass for n = 6, d = 4, d_v = 3, traced from
            `ParallelRetention.backward`: the scores A are recomputed from Q, K and D, then four
            products give dV, dQ, dK and the starting state's gradient; the one mask D serves A and
            dP (labelled dA in the graph, after the code). Q and K are the projections rotated by the
            same angles (chapter 03), labelled rot(X W). Regenerated by `swift run figures`.
            """)
        return SingleHeadExample(q: q, k: k, v: v, w: w, decay: decay, parallel: parallel)
    }
}
