import ChapterSupport
import Matrices
import Notebook
import Recurrence

extension Chapter10 {
    /// Softmax attention's backward pass, for comparison with retention's: the Transformer
    /// baseline of chapters 09 and 11 trains through it.
    func softmaxAttention(_ nb: Notebook) throws {
        nb.section("Softmax attention, for comparison")
        nb.prose("""
            The Transformer that chapters 09 and 11 compare with trains through softmax attention
            (chapter 01): S = Q Kᵀ/√d, P = softmax(S) row by row over m ≤ n, O = P V. The products
            go back as before; what is new is the softmax. Its Jacobian for one row is
            ∂P_m/∂S_m′ = P_m (δ_mm′ − P_m′), so:
            """)
        nb.equation("dV = Pᵀ dO,   dP = dO Vᵀ,   dS = P ⊙ (dP − rowsum(dP ⊙ P)),   dQ = dS K/√d,   dK = dSᵀ Q/√d",
                    latex: #"dV = P^{\top} dO, \quad dP = dO\,V^{\top}, \quad dS = P \odot \left(dP - \operatorname{rowsum}(dP \odot P)\right), \quad dQ = \frac{dS\,K}{\sqrt d}, \quad dK = \frac{dS^{\top} Q}{\sqrt d}"#)
        nb.prose("""
            Set beside retention's dP = (dO Vᵀ) ⊙ D: the mask still zeroes what was masked (P is zero
            above the diagonal, so dS is too), but each row's gradient now also depends on the whole
            row through rowsum(dP ⊙ P) — the price of normalising the weights. Both need the n×n
            weights again, recomputed or kept; only retention can instead run backwards through a
            state (the recurrent and chunkwise sections above). Against central differences,
            h = 10⁻⁴, 1e-6 as in the section above:
            """)
        var rng = SplitMix64(seed: seed &+ 30)
        let q = Matrix<Double>.gaussian(rows: length, columns: sizes.dim, using: &rng)
        let k = Matrix<Double>.gaussian(rows: length, columns: sizes.dim, using: &rng)
        let v = Matrix<Double>.gaussian(rows: length, columns: sizes.valueDim, using: &rng)
        let w = Matrix<Double>.gaussian(rows: length, columns: sizes.valueDim, using: &rng)
        let g = try CausalAttention.softmaxBackward(q: q, k: k, v: v, outputGradient: w)
        func loss(_ q: Matrix<Double>, _ k: Matrix<Double>, _ v: Matrix<Double>) throws -> Double {
            weightedSum(try CausalAttention.softmax(q: q, k: k, v: v), w)
        }
        nb.check("softmax attention: dQ = central differences", g.dQ,
                 try centralDifferences(of: q, step: 1e-4) { try loss($0, k, v) }, tolerance: .relative(1e-6))
        nb.check("softmax attention: dK = central differences", g.dK,
                 try centralDifferences(of: k, step: 1e-4) { try loss(q, $0, v) }, tolerance: .relative(1e-6))
        nb.check("softmax attention: dV = Pᵀ dO = central differences (linear in V: h = 1)", g.dV,
                 try centralDifferences(of: v, step: 1) { try loss(q, k, $0) }, tolerance: .relative(1e-12))

        nb.section("What each backward keeps, and how long it waits")
        nb.prose("""
            The training half of chapter 05's cost table: what each backward pass of one head holds
            beyond its inputs, and how many steps must run one after another (B the chunk size,
            ⌈n/B⌉ chunks). The parallel and chunkwise forms do their work in matrix products, which
            run wide; the recurrent form is a chain of n small steps each way.
            """)
        nb.table(["backward", "keeps", "dependent steps"], [
            ["parallel retention (and softmax attention)", "the n×n scores (or recomputes them)", "a few products, any n"],
            ["recurrent retention", "two d×d_v matrices: S forwards, then G backwards", "n forwards, then n backwards"],
            ["chunkwise retention", "⌈n/B⌉ chunk states (d×d_v), B×B scores per chunk", "⌈n/B⌉ forwards, ⌈n/B⌉ backwards"],
        ])
    }
}
