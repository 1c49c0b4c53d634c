import ChapterSupport
import Matrices
import MultiScaleRetention
import Notebook
import Retention

extension Chapter06 {
    /// The paper's score normalisations (QKᵀ/√d, D̃, R̃): each a positive factor per row of a head,
    /// which a per-head norm with ε = 0 cancels; and the factors written out as the paper's formulas.
    func scoreNormalisations(_ nb: Notebook, _ example: LayerExample) throws {
        nb.section("The score normalisations, and why they vanish")
        nb.prose("""
            For numerical stability the paper normalises the scores three ways: the key scaling, each row
            of D by the root of its sum, and each row of the scores by the size of its sum (at least 1):
            """)
        nb.equation("QKᵀ/√d,    D̃_nm = D_nm / √(Σ_i D_ni),    R̃_nm = R_nm / max(|Σ_i R_ni|, 1),   R = QKᵀ ⊙ D̃",
                    latex: #"\frac{QK^{\top}}{\sqrt d}, \qquad \tilde D_{nm} = \frac{D_{nm}}{\sqrt{\sum_i D_{ni}}}, \qquad \tilde R_{nm} = \frac{R_{nm}}{\max\left(\left|\sum_i R_{ni}\right|, 1\right)}, \quad R = QK^{\top} \odot \tilde D"#)
        nb.prose("""
            Each multiplies a whole row of one head's scores by a positive number c_n, so it multiplies
            that head's output row by c_n. A per-head norm with ε = 0 cannot see such a factor: the
            mean, the standard deviation and the root mean square all scale by c_n, and it cancels
            (the paper makes this point itself: GroupNorm's scale invariance is why the normalisations
            leave the outputs unchanged). Check it on the layer above — the key scaling undone (1 instead of d_k^{−1/2}), D̃ alone,
            R̃ alone, and all three — with the paper's GroupNorm and with torchscale's weightless
            RMSNorm. The factors themselves are far from 1, so the retention outputs they produce
            really are different before the norm (R̃ acts only on rows whose score sum exceeds 1 in size,
            and with scores of order 1 some rows do):
            """)
        let (x, layer, last, dv) = (example.x, example.layer, example.last, example.dv)
        let (qLast, kLast, vLast, gammaLast) = (example.qLast, example.kLast, example.vLast, example.gammaLast)
        let rmsLayer = try layer.with(headNorm: .rms(eps: 0))
        var rows: [[String]] = []
        for (norm, base) in [("GroupNorm", layer), ("RMSNorm", rmsLayer)] {
            let exact = try base.pass(x)
            let unscaled = try base.with(keyScale: 1).pass(x)
            let variants: [(String, MultiScaleRetentionPass<Double>)] = [
                ("no QKᵀ/√d", unscaled),
                ("D̃", try base.pass(x, scaling: .decay)),
                ("R̃", try base.pass(x, scaling: .retention)),
                ("QKᵀ/√d, D̃, R̃", try base.pass(x, scaling: .paper)),
            ]
            for (name, scaled) in variants {
                let before = scaled.retention.deviation(from: exact.retention).maxRelative
                let after = scaled.output.deviation(from: exact.output).maxRelative
                rows.append([norm, name, Format.scientific(before), Format.scientific(after)])
                nb.check("\(norm), ε = 0: MSR with \(name) = MSR without", scaled.output, exact.output,
                         tolerance: .relative(1e-12))
                if name == "R̃" && scaled.rowFactors.joined().allSatisfy({ $0 == 1 }) {
                    // Small inputs (few rows, small scores) can leave every score sum within ±1.
                    nb.check("\(norm): R̃ is 1 on every row here (no score sum exceeds 1), so it changes nothing",
                             before == 0, "max relative change of Concat(heads) \(Format.scientific(before))")
                } else {
                    nb.check("\(norm): \(name) does change the heads' outputs before the norm", before > 1e-3,
                             "max relative change of Concat(heads) \(Format.scientific(before))")
                }
            }
        }
        nb.table(["norm", "normalisation", "change before the norm", "change of MSR(X)"], rows)
        nb.prose("""
            The layer applies these normalisations as a factor per row of each head's exact output. That
            they are the paper's formulas is a claim too: write them out for head \(heads - 1), with D̃ the
            decay divided by the root of its row sum and R̃ the scores divided by max(|row sum|, 1), and
            compare (1e-12 relative, Double):
            """)
        let decayTilde = Matrix<Double>(rows: length, columns: length) { n, m in
            guard m <= n else { return 0 }
            let rowSum = (0...n).reduce(0.0) { $0 + Double.pow(gammaLast, Double(n - $1)) }
            return Double.pow(gammaLast, Double(n - m)) / rowSum.squareRoot()
        }
        let scoresTilde = (qLast * kLast.transposed).hadamard(decayTilde)
        let retentionTilde = Matrix<Double>(rows: length, columns: length) { n, m in
            let rowSum = (0..<length).reduce(0.0) { $0 + scoresTilde[n, $1] }
            return scoresTilde[n, m] / max(abs(rowSum), 1)
        }
        let lastColumns = (last * dv)..<((last + 1) * dv)
        nb.check("head \(last) with D̃: the layer's row factors = (Q Kᵀ ⊙ D̃) V",
                 try layer.pass(x, scaling: .decay).retention.columnRange(lastColumns), scoresTilde * vLast,
                 tolerance: .relative(1e-12))
        nb.check("head \(last) with D̃ and R̃: the layer's row factors = R̃ V",
                 try layer.pass(x, scaling: .paper).retention.columnRange(lastColumns), retentionTilde * vLast,
                 tolerance: .relative(1e-12))
    }
}
