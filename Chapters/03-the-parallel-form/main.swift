import ArgumentParser
import ChapterSupport
import Diagonalisation
import Matrices
import Notebook
import Retention

struct Chapter03: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chapter03",
        abstract: "03 — The parallel form (Eq. 5): retention as (Q Kᵀ ⊙ D) V, derived from the sum of chapter 02.")

    @Option(help: "Sequence length n.")
    var length = 6

    @Option(help: "Seed of the random inputs and weights.")
    var seed: UInt64 = 3

    @OptionGroup var sizes: SingleHeadSizes

    @OptionGroup var page: PageOptions

    func validate() throws {
        try FlagCheck.length(length)
    }

    func run() throws {
        let nb = Notebook(title: "03 — The parallel form", command: "chapter03", options: page)
        try narrate(nb)
        try nb.finish()
    }

    func narrate(_ nb: Notebook) throws {
        nb.prose("""
            Chapter 02 ended with retention as a sum over the past: one scalar decay γ, queries and keys
            rotated by their positions, real arithmetic. This chapter turns that sum into matrix
            products — the form a GPU trains with — one rewrite at a time, checking each.
            """)

        nb.section("Where we start: Eq. 4 on real pairs")
        nb.prose("""
            Inputs X (n×d) are projected by learned weights, and each row's d numbers are read as d/2
            complex numbers (real pairs). Chapter 02's Eq. 4, taking the real part since the model is
            real, is the starting point:
            """)
        nb.equation("o_n = Re Σ_{m≤n} γ^{n−m} (Q_n e^{inθ}) (K_m e^{imθ})† v_m,   Q = X W_Q,  K = X W_K,  V = X W_V",
                    latex: #"o_n = \operatorname{Re} \sum_{m \le n} \gamma^{\,n-m} \left(Q_n e^{in\theta}\right)\left(K_m e^{im\theta}\right)^{\dagger} v_m, \quad Q = XW_Q,\; K = XW_K,\; V = XW_V"#)
        var rng = SplitMix64(seed: seed)
        let x = Matrix<Double>.gaussian(rows: length, columns: sizes.dim, using: &rng)
        // W_Q, W_K, W_V ~ N(0, 1/d) and torchscale's angles θ; projected here, rotated in step 1.
        let weights = try RotatedProjections.random(model: sizes.dim, key: sizes.dim, value: sizes.valueDim, using: &rng)
        let theta = weights.theta
        let (q, k, v) = (x * weights.wQ, x * weights.wK, x * weights.wV)
        let eq4 = try ScalarDecay.outputs(q: PairRotation.complexPairs(q), k: PairRotation.complexPairs(k),
                                          v: v.complex, gamma: sizes.gamma, theta: theta).real

        nb.section("Step 1: the rotations move into Q and K")
        nb.prose("""
            Chapter 02 showed that the real part of a product of rotated complex pairs is the dot
            product of the rotated real rows. Rotating every row of Q and K by its position is an
            element-wise product with Θ_n = e^{inθ} on its pairs, and the † of Eq. 4 conjugates the key
            and its rotation together:
            """)
        nb.equation("Q̃_n = rot_{nθ}(Q_n),   K̃_m = rot_{mθ}(K_m),   Re[(Q_n e^{inθ})(K_m e^{imθ})†] = Q̃_n · K̃_m",
                    latex: #"\tilde Q_n = \operatorname{rot}_{n\theta}(Q_n),\quad \tilde K_m = \operatorname{rot}_{m\theta}(K_m),\quad \operatorname{Re}\!\left[(Q_n e^{in\theta})(K_m e^{im\theta})^{\dagger}\right] = \tilde Q_n \cdot \tilde K_m"#)
        nb.prose("""
            Here Q_n and K_m are rows of X W_Q and X W_K read as complex pairs, and rot_φ turns every
            pair (a, b) of a row by its own angle, φ_j = nθ_j: (a cos φ − b sin φ, a sin φ + b cos φ).
            Both rotations turn the same way: the dot product of two pairs as real vectors is the real
            part of one complex number times the other's conjugate, so the † of Eq. 4 is taken care of
            by the dot product itself. From here on Q and K denote the rotated rows Q̃ and K̃, and the
            sum is o_n = Σ_{m≤n} γ^{n−m} (Q_n·K_m) v_m. The rotation is written out by hand; check it
            against swift-numerics' complex product (a + ib)·e^{iφ} for every row and pair (1e-14
            relative: a few roundings each):
            """)
        let rq = try PairRotation.rotate(q, theta: theta)
        let rk = try PairRotation.rotate(k, theta: theta)
        func rotatedAsComplex(_ m: Matrix<Double>) throws -> Matrix<Double> {
            let z = try PairRotation.complexPairs(m)
            return PairRotation.realPairs(Matrix(rows: z.rows, columns: z.columns) { n, j in
                z[n, j] * Complex.exp(Complex(0, Double(n) * theta[j]))
            })
        }
        nb.check("pair rotation of Q and K = (a + ib)·e^{inθ_j}", rq.stacked(above: rk),
                 try rotatedAsComplex(q).stacked(above: rotatedAsComplex(k)), tolerance: .relative(1e-14))
        nb.prose("""
            The paper writes the same step as Q ⊙ Θ and K ⊙ Θ̄ followed by a plain transpose. That form
            conjugates the key's rotation but not the key, Re[Q_n e^{inθ} · K_m e^{−imθ}], so it equals
            the dot product above only for keys whose pairs are conjugated: negate the odd columns of
            W_K (the imaginary parts) and the two agree. A learned W_K absorbs the sign, which is why
            code can rotate both the same way. Check it on the scores Q̃_n · K̃_m:
            """)
        let conjugatedWK = Matrix<Double>(rows: weights.wK.rows, columns: weights.wK.columns) { i, j in
            j % 2 == 0 ? weights.wK[i, j] : -weights.wK[i, j]
        }
        let qPairs = try PairRotation.complexPairs(q), kBarPairs = try PairRotation.complexPairs(x * conjugatedWK)
        let paperScores = Matrix<Double>(rows: length, columns: length) { n, m in
            (0..<theta.count).reduce(0.0) { sum, j in
                sum + (qPairs[n, j] * Complex.exp(Complex(0, Double(n) * theta[j]))
                       * kBarPairs[m, j] * Complex.exp(Complex(0, -Double(m) * theta[j]))).real
            }
        }
        nb.check("Re[(Q ⊙ Θ)(K̄ ⊙ Θ̄)ᵀ] with W_K's odd columns negated = Q̃ K̃ᵀ", paperScores, rq * rk.transposed,
                 tolerance: .relative(1e-13))
        nb.prose("""
            Why rotate both? Because then a score depends on where the two tokens are only through
            their distance: rot_n(q)·rot_m(k) = q·rot_{m−n}(k), the same for every pair at the same
            n − m. That is the relative position the decay γ^{n−m} also speaks in. Check it: take one q
            and one k, and compare the score at (n, n − Δ) for every n up to 40 with the score at (Δ, 0).
            A rotation keeps lengths, so every score is at most |q||k| in size and rounds at ~1e-16 of
            that: 1e-12·|q||k| absolute.
            """)
        nb.figure("Figures/shift-invariance.svg", caption: """
            rot_n(q)·rot_m(k) along the sequence for three offsets n − m: flat lines. Rotating q alone
            (dashed) gives a score that changes with n. Computed with `PairRotation.rotate`;
            regenerated by `swift run figures`.
            """)
        let q1 = Matrix<Double>.gaussian(rows: 1, columns: sizes.dim, using: &rng)
        let k1 = Matrix<Double>.gaussian(rows: 1, columns: sizes.dim, using: &rng)
        func score(_ n: Int, _ m: Int) throws -> Double {
            (try PairRotation.rotate(q1, theta: theta, offset: n) * PairRotation.rotate(k1, theta: theta, offset: m).transposed)[0, 0]
        }
        let scale = (q1 * q1.transposed)[0, 0].squareRoot() * (k1 * k1.transposed)[0, 0].squareRoot()
        for delta in [0, 3, 8] {
            let along = try Matrix(rows: 1, columns: 40 - delta, entries: (delta..<40).map { try score($0, $0 - delta) })
            let first = Matrix(rows: 1, columns: 40 - delta, entries: Array(repeating: try score(delta, 0), count: 40 - delta))
            nb.check("n − m = \(delta): rot_n(q)·rot_m(k) is the same for n = \(delta)…39", along, first,
                     tolerance: .absolute(1e-12 * scale))
        }

        nb.section("Step 2: the double sum is a matrix product with a mask")
        nb.prose("""
            Collect the scores s_nm = Q_n·K_m of all pairs into the n×n matrix Q Kᵀ. The sum over m ≤ n
            with weights γ^{n−m} is row n of a matrix–vector product, once the weights are gathered into
            one n×n matrix D: the decay γ^{n−m} where m ≤ n, and 0 above the diagonal — the causal
            mask appears as the zero upper triangle. Stacking all rows:
            """)
        nb.equation("Retention(X) = (Q Kᵀ ⊙ D) V,   D_nm = γ^{n−m} if n ≥ m, else 0",
                    latex: #"\operatorname{Retention}(X) = \left(QK^{\top} \odot D\right) V, \qquad D_{nm} = \begin{cases} \gamma^{\,n-m} & n \ge m \\ 0 & n < m \end{cases}"#)
        let decay = try Decay(sizes.gamma)
        let d = decay.mask(min(length, 8))
        nb.show("D (first \(d.rows) rows and columns), γ = \(Format.fixed(sizes.gamma, 6))", d)
        nb.prose("""
            Each entry of D is computed as γ^{n−m} directly, never as γ^n·γ^{−m}: chapter 02 showed the
            split overflows past ~2,800 positions in Float. Check the entries against D built the other
            way, down each column by the recurrence D_{m,m} = 1, D_{n,m} = γ·D_{n−1,m} (at most 7
            products here, so within 1e-14 relative of one pow), then check the whole parallel form
            against Eq. 4 for every n. Both sides are Double; the rotations and the d-term dot products
            round at ~1e-16 relative, so 1e-12 is four orders of margin.
            """)
        var expectedD = Matrix<Double>(rows: d.rows, columns: d.columns)
        for m in 0..<d.columns {
            expectedD[m, m] = 1
            for n in (m + 1)..<max(m + 1, d.rows) { expectedD[n, m] = sizes.gamma * expectedD[n - 1, m] }
        }
        nb.check("D_nm = γ^{n−m} below the diagonal, 0 above", d, expectedD, tolerance: .relative(1e-14))
        let parallel = try ParallelRetention.outputs(q: rq, k: rk, v: v, decay: decay)
        nb.show("Retention(X) = (Q Kᵀ ⊙ D) V", parallel)
        nb.check("(Q Kᵀ ⊙ D) V = Re(Eq. 4 sum), every row", parallel, eq4, tolerance: .relative(1e-12))
        nb.figure("Figures/parallel.png", caption: """
            The parallel form as it runs, traced from this chapter's calls (n = 6, d = 4, d_v = 3): X
            projected and rotated into Q and K, the one product Q Kᵀ, the decay mask D made from γ, the
            masked scores, and their product with V. Regenerated by `swift run figures`.
            """)

        nb.section("In Float")
        nb.prose("""
            Kernels run in Float. The same computation from the same inputs rounded to Float differs
            from the Double result by the rounding of the inputs (2⁻²⁴ ≈ 6e-8 relative) and of each
            d- and n-term sum; with d and n in the tens that is a few 1e-7 relative. The bound 1e-5
            leaves more than an order of magnitude for unlucky cancellations.
            """)
        let floatParallel = try ParallelRetention.outputs(
            q: rq.converted(to: Float.self), k: rk.converted(to: Float.self), v: v.converted(to: Float.self),
            decay: try Decay(Float(sizes.gamma)))
        nb.check("Float parallel form ≈ Double parallel form", floatParallel.converted(to: Double.self), parallel,
                 tolerance: .relative(1e-5))

        nb.section("What it costs")
        nb.prose("""
            The parallel form is one n×n score matrix: every pair of positions is touched once. That is
            ideal for training on a GPU (a few large matrix products, all positions at once) and
            quadratic in n in time — and in memory as computed here, because this reference holds the
            whole n×n score matrix (chapter 08's tiled kernel never stores it). Counted multiply–adds
            and the scalars held at peak by this reference, for d = d_v = 64:
            """)
        let lengths = [256, 1_024, 4_096, 16_384, 65_536]
        nb.table(["n", "multiply–adds", "scalars held (peak)", "per token"], try lengths.map { n in
            let cost = try RetentionCost.parallel(length: n, keyDimension: 64, valueDimension: 64)
            return [Format.grouped(n), Format.grouped(cost.multiplyAdds), Format.grouped(cost.peakScalars),
                    Format.grouped(cost.multiplyAdds / n)]
        })
        nb.prose("""
            The work per token grows with n: the 65,536th token pays for all 65,535 before it. Chapter
            04 finds the form whose cost per token is constant.
            """)
    }
}

Chapter03.main()
