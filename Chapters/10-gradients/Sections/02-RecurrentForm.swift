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

extension Chapter10 {
    /// The recurrent form's backward pass, backwards in time: equal to the parallel form's, and
    /// through the hand-off between a chunkwise prefill and a recurrent continuation.
    func recurrentForm(_ nb: Notebook, _ example: SingleHeadExample) throws {
        nb.section("The recurrent form, backwards in time")
        nb.prose("""
            The recurrent form computed S_n = γ S_{n−1} + K_nᵀ V_n and o_n = Q_n S_n. Let G_n = ∂L/∂S_n.
            S_n reaches L through o_n and through S_{n+1}, so G runs backwards, the recurrence turned
            around, and each token reads its gradients off the state it wrote and the gradient that
            state received:
            """)
        nb.equation("G_n = γ G_{n+1} + Q_nᵀ dO_n,   dK_n = V_n G_nᵀ,   dV_n = K_n G_n,   dQ_n = dO_n S_nᵀ,   ∂L/∂S₋₁ = γ G_0",
                    latex: #"G_n = \gamma G_{n+1} + Q_n^{\top} dO_n, \quad dK_n = V_n G_n^{\top}, \quad dV_n = K_n G_n, \quad dQ_n = dO_n S_n^{\top}, \quad \frac{\partial L}{\partial S_{-1}} = \gamma G_0"#)
        nb.prose("""
            dQ needs S_n, which runs forwards; dK and dV need G_n, which runs backwards; so
            `RecurrentRetention.backward` makes two passes and holds two d×d_v matrices whatever n.
            Unrolled, G_n = Σ_{m≥n} γ^{m−n} Q_mᵀ dO_m, so dK_n = V_n G_nᵀ = Σ_{m≥n} γ^{m−n} (dO_m·V_n) Q_m
            — row n of the parallel form's dPᵀ Q: the two must agree to rounding, 1e-12 relative
            (both Double, sums of the same products in a different order).
            """)
        let (q, k, v, w, decay, parallel) = (example.q, example.k, example.v, example.w, example.decay, example.parallel)
        let recurrent = try RecurrentRetention.backward(q: q, k: k, v: v, decay: decay, outputGradient: w)
        nb.check("recurrent dQ = parallel dQ", recurrent.dQ, parallel.dQ, tolerance: .relative(1e-12))
        nb.check("recurrent dK = parallel dK", recurrent.dK, parallel.dK, tolerance: .relative(1e-12))
        nb.check("recurrent dV = parallel dV", recurrent.dV, parallel.dV, tolerance: .relative(1e-12))
        nb.check("recurrent ∂L/∂S₋₁ = γ G₀ = parallel (Q ⊙ ξ)ᵀ dO", recurrent.dState, parallel.dState,
                 tolerance: .relative(1e-12))
        nb.prose("""
            The state is also where a sequence can be cut (chapter 05's hand-off: a prompt read
            chunkwise, then continued token by token). The chain rule runs through the cut as the
            state did: run the continuation's backward pass first, from the state the prefill left;
            its ∂L/∂S₋₁ is the gradient of the prefill's final state, handed to the prefill's
            backward pass. Together they must give one backward pass over the whole sequence:
            """)
        let split = max(1, length * 2 / 3)
        let head = 0..<split, tail = split..<length
        let prefill = try ChunkwiseRetention.outputs(q: q.rowRange(head), k: k.rowRange(head), v: v.rowRange(head),
                                                     decay: decay, chunkSize: chunkSize)
        let continuation = try RecurrentRetention.backward(
            q: q.rowRange(tail), k: k.rowRange(tail), v: v.rowRange(tail), decay: decay, from: prefill.state,
            outputGradient: w.rowRange(tail))
        let prefillBackward = try ChunkwiseRetention.backward(
            q: q.rowRange(head), k: k.rowRange(head), v: v.rowRange(head), decay: decay, chunkSize: chunkSize,
            outputGradient: w.rowRange(head), finalStateGradient: continuation.dState)
        nb.say("prefill: \(split) tokens chunkwise (B = \(chunkSize)); continuation: \(length - split) tokens recurrent")
        nb.check("prefill dQ above continuation dQ = whole-sequence dQ",
                 prefillBackward.dQ.stacked(above: continuation.dQ), parallel.dQ, tolerance: .relative(1e-12))
        nb.check("prefill dK above continuation dK = whole-sequence dK",
                 prefillBackward.dK.stacked(above: continuation.dK), parallel.dK, tolerance: .relative(1e-12))
        nb.check("prefill dV above continuation dV = whole-sequence dV",
                 prefillBackward.dV.stacked(above: continuation.dV), parallel.dV, tolerance: .relative(1e-12))
        nb.check("prefill ∂L/∂S₋₁ = whole-sequence ∂L/∂S₋₁", prefillBackward.dState, parallel.dState,
                 tolerance: .relative(1e-12))
    }
}
