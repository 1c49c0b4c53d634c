import ArgumentParser
import ChapterSupport
import Layers
import Matrices
import MultiScaleRetention
import Notebook
import Retention

struct Chapter06: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chapter06",
        abstract: "06 — Gated multi-scale retention (Sec. 2.2): h heads with their own γ, per-head norm, swish gate.")

    @Option(help: "Sequence length n.")
    var length = 12

    @Option(help: "Model width E (decoder_embed_dim); a multiple of --heads with E/h even.")
    var dim = 16

    @Option(help: "Value width V (decoder_value_embed_dim; the paper uses 2E); a multiple of --heads.")
    var valueDim = 32

    @Option(help: "Number of heads h, each with its own γ.")
    var heads = 4

    @Option(help: "Chunk size B of the chunkwise form (any B ≥ 1).")
    var chunkSize = 5

    @Option(help: "The ε > 0 whose effect the last section measures (torchscale's default is 1e-6).")
    var eps = 1e-6

    @Option(help: "Seed of the random inputs and weights.")
    var seed: UInt64 = 6

    @OptionGroup var page: PageOptions

    func validate() throws {
        guard length >= 2, length <= 1_000 else {
            throw ValidationError("--length must be in 2...1000 (the hand-off splits the sequence), got \(length).")
        }
        guard heads >= 1, heads <= 24 else { throw ValidationError("--heads must be in 1...24, got \(heads).") }
        guard dim >= 2, dim <= 512, dim % heads == 0, (dim / heads) % 2 == 0 else {
            throw ValidationError("--dim must be in 2...512 and a multiple of --heads = \(heads) with an even quotient "
                                  + "(each head's queries and keys are rotated in pairs), got \(dim).")
        }
        guard valueDim >= 2 * heads, valueDim <= 1_024, valueDim % heads == 0 else {
            throw ValidationError("--value-dim must be in \(2 * heads)...1024 and a multiple of --heads = \(heads), giving "
                                  + "each head at least 2 value columns (GroupNorm over a single value has variance 0, "
                                  + "and 0/0 at ε = 0), got \(valueDim).")
        }
        guard chunkSize >= 1 else { throw ValidationError("--chunk-size must be at least 1, got \(chunkSize).") }
        guard eps > 0, eps <= 1e-2 else { throw ValidationError("--eps must be in (0, 0.01], got \(eps).") }
    }

    func run() throws {
        let nb = Notebook(title: "06 — Gated multi-scale retention", command: "chapter06", options: page)
        try narrate(nb)
        try nb.finish()
    }

    func narrate(_ nb: Notebook) throws {
        nb.prose("""
            Chapters 03–05 computed one head of retention three ways. A RetNet layer runs h heads side by
            side, each with its own decay γ, normalises each head's output on its own, and gates the
            result (paper Sec. 2.2). This chapter builds that layer from the `Retention` module's three
            forms, then looks closely at the paper's score normalisations: why they change nothing, and
            when they do.
            """)

        nb.section("Many heads, each with its own γ")
        nb.prose("""
            Eq. 8 gives head i the decay below, so its memory 1/(1 − γ_i) — the number of tokens after
            which a contribution has shrunk by about e — doubles from head to head: 32, 64, 128, …
            tokens. The paper's experiments used another schedule, evenly spaced in log-memory from 32
            to 512 tokens whatever h:
            """)
        nb.equation("Eq. 8:  γ_i = 1 − 2^{−5−i}        experiments:  γ_i = 1 − e^{linspace(log 1/32, log 1/512, h)_i}",
                    latex: #"\text{Eq. 8:}\;\; \gamma_i = 1 - 2^{-5-i} \qquad \text{experiments:}\;\; \gamma_i = 1 - e^{\operatorname{linspace}(\log \frac{1}{32},\, \log \frac{1}{512},\, h)_i}"#)
        let eq8 = DecaySchedule.eq8.gammas(heads: heads)
        let spread = DecaySchedule.linspace.gammas(heads: heads)
        let float32 = DecaySchedule.eq8.float32Gammas(heads: heads)
        nb.table(["head i", "Eq. 8 γ_i", "memory", "experiments γ_i", "memory", "torchscale float32 γ_i"],
                 (0..<heads).map { i in
            [String(i), Format.fixed(eq8[i], 8), Format.fixed(1 / (1 - eq8[i]), 1),
             Format.fixed(spread[i], 8), Format.fixed(1 / (1 - spread[i]), 1), Format.fixed(float32[i], 8)]
        })
        nb.prose("""
            Checks: Eq. 8's memories are exactly 32·2^i (1 − 2^{−5−i} is a Double, so the memory comes out
            exact); the experiments' log-memories are evenly spaced from log 32 to log 512 (to rounding,
            1e-12 relative). torchscale keeps log γ in float32, `log(1 − 2^(−5−arange(h)))`, so its γ
            differ from the exact ones by the rounding of γ to float32 (at most 2⁻²⁴ ≈ 6e-8 relative) and
            of log γ (|log γ| < 0.04, so far less): 1.2e-7 allows twice that. And in float32, 1 − 2^{−5−i}
            is exactly 1 from head 20 on: that head would never forget.
            """)
        let memories = Matrix(rows: 1, columns: heads, entries: eq8.map { 1 / (1 - $0) })
        nb.check("Eq. 8: memory 1/(1 − γ_i) = 32·2^i", memories,
                 Matrix(rows: 1, columns: heads, entries: (0..<heads).map { 32 * Double.pow(2, Double($0)) }),
                 tolerance: .absolute(0))
        let logMemories = Matrix(rows: 1, columns: heads, entries: spread.map { -Double.log(1 - $0) })
        let evenlySpaced = Matrix(rows: 1, columns: heads, entries: (0..<heads).map { i in
            Double.log(32) + (heads == 1 ? 0 : Double(i) / Double(heads - 1) * (Double.log(512) - Double.log(32)))
        })
        nb.check("experiments: log-memory evenly spaced from log 32 to log 512", logMemories, evenlySpaced,
                 tolerance: .relative(1e-12))
        nb.check("torchscale's float32 γ_i ≈ Eq. 8's γ_i (float32 rounding)",
                 Matrix(rows: 1, columns: heads, entries: float32), Matrix(rows: 1, columns: heads, entries: eq8),
                 tolerance: .relative(1.2e-7))
        let rounded = DecaySchedule.eq8.float32LogGammas(heads: 21)
        nb.check("in float32, 1 − 2^{−5−i} = 1 (log γ = 0) exactly from i = 20, not before",
                 rounded[20] == 0 && rounded[19] < 0,
                 "log γ_19 = \(Format.scientific(Double(rounded[19]), 3)), log γ_20 = \(Format.scientific(Double(rounded[20]), 3))")

        nb.prose("""
            What each head remembers is easier seen than read. Head i's decay matrix D keeps a token at
            full weight on the diagonal and fades it by γ_i per step along its row: over 128 tokens the
            first head has nearly forgotten the start, the fourth still holds most of it.
            """)
        nb.figure("Figures/decay-heads.svg", caption: """
            D of the first four heads of Eq. 8 over 128 tokens (every 4th row and column), computed by
            `Decay.mask` — the matrix the parallel form multiplies by. Regenerated by `swift run figures`.
            """)
        nb.prose("""
            The same decay as a function of distance: γ_i^k is how much of a token head i still holds k
            tokens later. At k = 1/(1 − γ_i), the head's memory, (1 − 1/M)^M has fallen to just under
            e^{−1} ≈ 0.368 — between 0.362 (M = 32) and e^{−1}, for every head, since (1 − 1/M)^M grows
            toward e^{−1} with M. With 8 heads, what is left at 512, 2,048 and 8,192 tokens:
            """)
        nb.figure("Figures/receptive-fields.svg", caption: """
            γ_i^k for the 8 heads of Eq. 8, k from 1 to 8,192 on a logarithmic axis, computed by
            `Decay.power`; dashed lines at 512, 2,048 and 8,192 tokens. Regenerated by `swift run figures`.
            """)
        let eight = DecaySchedule.eq8.gammas(heads: 8)
        nb.table(["head", "memory 1/(1 − γ)", "γ^memory", "kept at 512", "kept at 2,048", "kept at 8,192"],
                 try eight.enumerated().map { i, gamma in
            let decay = try Decay(gamma), memory = Int((1 / (1 - gamma)).rounded())
            return [String(i), Format.grouped(memory), Format.fixed(decay.power(memory), 4)]
                + [512, 2_048, 8_192].map { Format.scientific(decay.power($0), 2) }
        })
        let atMemory = try eight.map { gamma in try Decay(gamma).power(Int((1 / (1 - gamma)).rounded())) }
        nb.check("at its memory M, every head keeps (1 − 1/M)^M ∈ [0.362, e^{−1}]",
                 atMemory.allSatisfy { $0 >= 0.362 && $0 <= Double.exp(-1) },
                 "from \(Format.fixed(atMemory.min()!, 4)) to \(Format.fixed(atMemory.max()!, 4)), e^{−1} = \(Format.fixed(Double.exp(-1), 4))")

        nb.section("The layer")
        nb.prose("""
            X (n×E) is projected to queries, keys and values, and to a gate G. Head i takes its own
            columns: d_k = E/h of Q and K, d_v = V/h of V. Q and K are rotated by position as in
            chapter 02 and K is scaled by d_k^{−1/2} (the paper's QKᵀ/√d, applied the way torchscale
            does). Each head is chapter 03's retention with its own γ_i; their outputs, side by side,
            go through a norm per head, then the swish gate and the output projection:
            """)
        nb.equation("head_i = Retention_{γ_i}(Q_i, K_i, V_i),   Y = GroupNorm_h(Concat(head_1, …, head_h)),   MSR(X) = (swish(X W_G) ⊙ Y) W_O",
                    latex: #"\mathrm{head}_i = \operatorname{Retention}_{\gamma_i}(Q_i, K_i, V_i), \quad Y = \operatorname{GroupNorm}_h\!\left(\operatorname{Concat}(\mathrm{head}_1, \dots, \mathrm{head}_h)\right), \quad \operatorname{MSR}(X) = \left(\operatorname{swish}(X W_G) \odot Y\right) W_O"#)
        nb.figure("Figures/msr.png", caption: """
            One layer as it runs, traced from `MultiScaleRetentionLayer.pass` with the paper's GroupNorm
            and Eq. 8's γ, at a size that fits on a page (n = 6, E = 8, V = 16, h = 2): X projected by
            W_Q, W_K, W_V and W_G; each head, in a box labelled with its γ_i, rotates its columns of Q
            and K, takes its columns of V and runs chapter 03's parallel form; the heads side by side go
            through GroupNorm_h, are gated by swish(X W_G), and W_O projects the result. Regenerated by
            `swift run figures`.
            """)
        nb.prose("""
            swish(z) = z·σ(z) lets each feature open or close; the per-head norm is needed because heads
            with different γ sum different numbers of terms and so have outputs of very different sizes.
            Weights are stored [out, in] as checkpoints store them, so X W_G is computed as X·W_Gᵀ. Here
            is a layer with E = \(dim), V = \(valueDim), h = \(heads) (d_k = \(dim / heads), d_v = \(valueDim / heads)),
            the paper's GroupNorm, Eq. 8's γ, and ε = 0, with weights of variance 1/(in-width) so that
            the scores Q_n·K_m are of order 1, run in all three forms:
            """)
        var rng = SplitMix64(seed: seed)
        let x = Matrix<Double>.gaussian(rows: length, columns: dim, using: &rng)
        let rotation = try Rotation(keyDimension: dim / heads)
        func weight(_ out: Int, _ inn: Int) -> Matrix<Double> {
            .gaussian(rows: out, columns: inn, scale: 1 / Double(inn).squareRoot(), using: &rng)
        }
        let layer = try MultiScaleRetentionLayer<Double>(
            heads: heads, qProj: weight(dim, dim), kProj: weight(dim, dim), vProj: weight(valueDim, dim),
            gProj: weight(valueDim, dim), outProj: weight(dim, valueDim), headNorm: .groupNorm(width: valueDim, eps: 0),
            gammas: eq8, rotation: rotation, keyScale: 1 / Double(dim / heads).squareRoot())
        let parallel = try layer.pass(x, form: .parallel)
        let recurrent = try layer(x, form: .recurrent)
        let chunkwise = try layer(x, form: .chunkwise(chunkSize: chunkSize))
        nb.show("MSR(X), parallel form, first 4 rows and columns", parallel.output.rowRange(0..<min(4, length)).columnRange(0..<min(4, dim)))
        nb.prose("""
            All Double. The forms agree to ~1e-16 relative per head (chapters 03–05), and the norm,
            gate and projection are the same arithmetic on the same numbers, so 1e-12 relative leaves
            four orders of magnitude. The states the forms leave behind agree as well, and one head of
            the layer is chapter 02's sum o_n = Σ_{m≤n} γ_i^{n−m} (q_n·k_m) v_m, written out below with
            loops, on that head's columns:
            """)
        nb.check("MSR: recurrent form = parallel form", recurrent.output, parallel.output, tolerance: .relative(1e-12))
        nb.check("MSR: chunkwise form (B = \(chunkSize)) = parallel form", chunkwise.output, parallel.output,
                 tolerance: .relative(1e-12))
        for h in [0, heads - 1] {
            nb.check("state of head \(h): chunkwise = recurrent = parallel's Kᵀ(V ⊙ ζ)",
                     chunkwise.state.heads[h].s.stacked(above: recurrent.state.heads[h].s),
                     parallel.state.heads[h].s.stacked(above: parallel.state.heads[h].s), tolerance: .relative(1e-12))
        }
        let last = heads - 1, dk = dim / heads, dv = valueDim / heads
        let qLast = try rotation.apply(x.applyingLinear(layer.qProj).columnRange((last * dk)..<((last + 1) * dk)), offset: 0)
        let kLast = try rotation.apply((layer.keyScale * x.applyingLinear(layer.kProj)).columnRange((last * dk)..<((last + 1) * dk)), offset: 0)
        let vLast = x.applyingLinear(layer.vProj).columnRange((last * dv)..<((last + 1) * dv))
        let gammaLast = layer.decays[last].gamma
        let literalHead = Matrix<Double>(rows: length, columns: dv) { n, c in
            (0...n).reduce(0.0) { sum, m in
                let score = (0..<dk).reduce(0.0) { $0 + qLast[n, $1] * kLast[m, $1] }
                return sum + Double.pow(gammaLast, Double(n - m)) * score * vLast[m, c]
            }
        }
        nb.check("head \(last) = Σ_{m≤n} γ_\(last)^{n−m} (q_n·k_m) v_m on its columns",
                 parallel.retention.columnRange((last * dv)..<((last + 1) * dv)), literalHead, tolerance: .relative(1e-12))
        let split = length / 2
        let prefill = try layer(x.rowRange(0..<split), form: .chunkwise(chunkSize: chunkSize))
        let rest = try layer(x.rowRange(split..<length), form: .recurrent, from: prefill.state)
        nb.check("chunkwise prefill of \(split) rows, then recurrent from its state = parallel",
                 prefill.output.stacked(above: rest.output), parallel.output, tolerance: .relative(1e-12))
        nb.prose("""
            GroupNorm with ε = 0 (and its initial weight 1, bias 0) makes each head's row have mean 0 and
            variance 1; that is what it is for:
            """)
        let y = parallel.normalised
        let moments = Matrix<Double>(rows: length, columns: 2 * heads) { n, c in
            let row = (0..<dv).map { y[n, (c / 2) * dv + $0] }
            let mean = row.reduce(0, +) / Double(dv)
            return c % 2 == 0 ? mean : row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(dv)
        }
        let unit = Matrix<Double>(rows: length, columns: 2 * heads) { _, c in c % 2 == 0 ? 0 : 1 }
        nb.check("every head's row of Y: mean 0 and variance 1", moments, unit, tolerance: .absolute(1e-12))
        nb.prose("""
            Last, the gate and the output projection, written out: swish(z) = z σ(z) = z / (1 + e^{−z})
            of each entry of X W_G, times Y entry by entry, then W_O (stored [out, in], so Σ_c over the
            value columns of gate·Y times W_O[e, c]):
            """)
        let g = x.applyingLinear(layer.gProj)
        let literalOutput = Matrix<Double>(rows: length, columns: dim) { n, e in
            (0..<valueDim).reduce(0.0) { sum, c in
                let z = g[n, c]
                return sum + z / (1 + Double.exp(-z)) * y[n, c] * layer.outProj[e, c]
            }
        }
        nb.check("MSR(X) = (swish(X W_G) ⊙ Y) W_O, entry by entry", parallel.output, literalOutput, tolerance: .relative(1e-12))

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

        nb.prose("""
            If the norm undoes them, what are the normalisations for? The paper adds them for numerical
            stability, and the reason is range. Unnormalised, an output row sums up to 1/(1 − γ) value
            rows weighted by scores: it grows with the head's memory. With D̃ and R̃ the weights of a row
            sum to at most 1 in size, so an output stays within the range of the values. In half
            precision (largest finite value 65,504) that is the difference between a number and ∞.
            Take one head with γ = 1 − 2⁻⁷ (memory 128) over 256 tokens whose queries and keys point the
            same way (scores ≈ 36) and values ≈ 31, in Float16. Its unit roundoff is u = 2⁻¹¹ ≈ 4.9e-4;
            a normalised output sums 256 weighted terms, each from a 16-term dot product, and roundings
            of random sign add like a random walk, √(256 + 16)·u ≈ 8e-3 — so 2e-2 relative against the
            same computation in Double:
            """)
        var halfRNG = SplitMix64(seed: seed &+ 16)
        let direction = Matrix<Double>.gaussian(rows: 1, columns: 16, using: &halfRNG)
        let unitDirection = (1 / (direction * direction.transposed)[0, 0].squareRoot()) * direction
        func aligned(_ scale: Double) -> Matrix<Double> {
            Matrix(rows: 256, columns: 16) { _, c in scale * unitDirection[0, c] } + Matrix.gaussian(rows: 256, columns: 16, scale: 0.2, using: &halfRNG)
        }
        let (q64, k64) = (aligned(6), aligned(6))
        let v64 = Matrix<Double>.gaussian(rows: 256, columns: 4, using: &halfRNG).map { 30 + abs($0) }
        let (q16, k16, v16) = (q64.converted(to: Float16.self), k64.converted(to: Float16.self), v64.converted(to: Float16.self))
        let gamma16 = try Decay<Float16>(Float16(1 - 1.0 / 128))
        let unnormalised16 = try ParallelRetention.outputs(q: q16, k: k16, v: v16, decay: gamma16)
        let unnormalised64 = try ParallelRetention.outputs(q: q64, k: k64, v: v64, decay: try Decay(1 - 1.0 / 128))
        nb.check("unnormalised: the largest output, \(Format.grouped(Int(unnormalised64.maxMagnitude))) in Double, is ∞ in Float16",
                 !unnormalised16.isFinite && unnormalised64.maxMagnitude > Double(Float16.greatestFiniteMagnitude),
                 "non-finite entries: \(unnormalised16.storage.filter { !$0.isFinite }.count) of \(unnormalised16.storage.count)")
        func normalised<T: RealScalar>(_ q: Matrix<T>, _ k: Matrix<T>, _ v: Matrix<T>, _ decay: Decay<T>) -> Matrix<T> {
            var rowSum: T = 0
            let roots = (0..<q.rows).map { p -> T in rowSum += decay.power(p); return rowSum.squareRoot() }
            let dTilde = Matrix<T>(rows: q.rows, columns: q.rows) { n, m in m <= n ? decay.power(n - m) / roots[n] : 0 }
            let scores = (q * k.transposed).hadamard(dTilde)
            let factors = (0..<q.rows).map { n in 1 / Swift.max(abs((0..<q.rows).reduce(T(0)) { $0 + scores[n, $1] }), 1) }
            return scores.scalingRows(by: factors) * v
        }
        let normalised16 = normalised(q16, k16, v16, gamma16)
        let normalised64 = normalised(q64, k64, v64, try Decay(1 - 1.0 / 128))
        nb.say("normalised: outputs from \(Format.fixed(normalised64.storage.min()!, 2)) to \(Format.fixed(normalised64.storage.max()!, 2)) (Double)")
        nb.check("normalised (D̃ and R̃) in Float16: finite, and ≈ the Double computation", normalised16.converted(to: Double.self),
                 normalised64, tolerance: .relative(2e-2))
        let within = (0..<normalised64.columns).allSatisfy { c in
            let column = (0..<256).map { v64[$0, c] }
            return (0..<256).allSatisfy { normalised64[$0, c] >= column.min()! && normalised64[$0, c] <= column.max()! }
        }
        nb.check("every normalised output lies within its values' range (positive weights summing to 1)", within,
                 "values from \(Format.fixed(v64.storage.min()!, 2)) to \(Format.fixed(v64.storage.max()!, 2))")

        nb.section("When ε > 0: the factors show through")
        nb.prose("""
            With ε > 0 the norm computes x/√(m + ε), m the row's mean square (or variance), and a factor c
            no longer cancels: c x/√(c² m + ε) = (x/√m) · 1/√(1 + ε/(c² m)). The smaller c² m is next to ε,
            the more the output shrinks. torchscale's three modes each compute exact retention times a
            different c_n: its parallel mode applies D̃ and R̃; its recurrent mode carries S_n/√(Σ_p γ^p),
            which is D̃ alone; its chunkwise mode restarts D̃ inside every chunk and divides by the
            larger of two running scales. And its initial weights (Xavier with gain 2^{−2.5}) make the
            retention outputs small — their mean squares are of the order of ε = 1e-6.
            """)
        nb.equation("c·x / √(c² m + ε) = (x / √m) · 1/√(1 + ε / (c² m))",
                    latex: #"\frac{c\,x}{\sqrt{c^2 m + \varepsilon}} = \frac{x}{\sqrt m} \cdot \frac{1}{\sqrt{1 + \varepsilon / (c^2 m)}}"#)
        nb.prose("""
            So take torchscale's variant of the layer — weightless RMSNorm, float32 γ and θ — at its initial
            scale, with ε = \(Format.scientific(eps, 1)), and compute Y and MSR(X) with each mode's factors, against
            exact retention with ε = 0. Each Y must be exactly the ε = 0 output times the predicted
            1/√(1 + ε/(c² m)) per head and row (1e-12 relative), and the outputs must differ as much as that
            predicts:
            """)
        let tsRotation = try Rotation(keyDimension: dim / heads, precision: .float32)
        let ts = try MultiScaleRetentionLayer<Double>.random(
            embedDimension: dim, valueDimension: valueDim, heads: heads, headNorm: .rms(eps: eps),
            gammas: float32, rotation: tsRotation, using: &rng)
        let tsExactZero = try ts.with(headNorm: .rms(eps: 0)).pass(x)
        let meanSquares = (0..<length).flatMap { n in
            (0..<heads).map { h in HeadNorm<Double>.rms(eps: 0).spread(tsExactZero.retention.storage[(n * valueDim + h * dv)..<(n * valueDim + (h + 1) * dv)]) }
        }
        nb.say("mean square m of the exact heads' rows: from \(Format.scientific(meanSquares.min()!, 2)) to \(Format.scientific(meanSquares.max()!, 2))")
        let modes: [(String, RowScaling)] = [
            ("ours: exact retention", .exact), ("torchscale parallel (D̃, R̃)", .paper),
            ("torchscale recurrent (D̃)", .decay), ("torchscale chunkwise (B = \(chunkSize))", .torchscaleChunkwise(chunkSize: chunkSize)),
        ]
        var table: [[String]] = []
        var outputs: [String: Matrix<Double>] = [:]
        for (name, scaling) in modes {
            let result = try ts.pass(x, scaling: scaling)
            let predicted = Matrix<Double>(rows: length, columns: valueDim) { n, c in
                let h = c / dv
                let m = meanSquares[n * heads + h]
                return tsExactZero.normalised[n, c] * HeadNorm<Double>.epsilonFactor(spread: m, scale: result.rowFactors[h][n], eps: eps)
            }
            nb.check("\(name): Y = (ε = 0 output) · 1/√(1 + ε/(c² m)), every head and row", result.normalised, predicted,
                     tolerance: .relative(1e-12))
            let factors = result.rowFactors.flatMap { $0 }
            table.append([name, Format.scientific(factors.min()!, 2), Format.scientific(factors.max()!, 2),
                          Format.scientific(result.normalised.deviation(from: tsExactZero.normalised).maxRelative, 2),
                          Format.scientific(result.output.deviation(from: tsExactZero.output).maxRelative, 2)])
            outputs[name] = result.output
        }
        nb.table(["mode", "min c", "max c", "change of Y vs ε = 0", "change of MSR(X) vs ε = 0"], table)
        let chunkVsParallel = outputs[modes[3].0]!.deviation(from: outputs[modes[1].0]!).maxRelative
        let recurrentVsParallel = outputs[modes[2].0]!.deviation(from: outputs[modes[1].0]!).maxRelative
        nb.say("torchscale chunkwise vs its parallel mode: max relative difference of MSR(X) \(Format.scientific(chunkVsParallel, 2))",
               "torchscale recurrent vs its parallel mode: max relative difference of MSR(X) \(Format.scientific(recurrentVsParallel, 2))")
        let tsZero = try ts.with(headNorm: .rms(eps: 0))
        if chunkSize < length {
            nb.check("torchscale chunkwise vs parallel factors with ε = \(Format.scientific(eps, 1)): visibly different",
                     chunkVsParallel > 1e-10, "max relative difference \(Format.scientific(chunkVsParallel, 2)) > 1e-10")
        } else {
            // One chunk (B ≥ n): no chunk boundary, so torchscale's chunkwise factors are its parallel ones.
            nb.check("torchscale chunkwise with one chunk (B = \(chunkSize) ≥ n = \(length)) = its parallel mode, ε = \(Format.scientific(eps, 1))",
                     chunkVsParallel <= 1e-12, "max relative difference \(Format.scientific(chunkVsParallel, 2)) ≤ 1e-12")
        }
        nb.check("torchscale chunkwise vs parallel factors with ε = 0: the same",
                 try tsZero.pass(x, scaling: .torchscaleChunkwise(chunkSize: chunkSize)).output,
                 try tsZero.pass(x, scaling: .paper).output, tolerance: .relative(1e-12))
        nb.prose("""
            At this scale no row's score sum exceeds 1, so R̃ is 1 and torchscale's parallel and recurrent
            modes coincide; the chunkwise mode's factors are different ones. That is the disagreement
            readers of torchscale report as a bug: at ε = 1e-6 and initial weights its chunkwise logits
            differ from its parallel ones by about 1e-2. It is not a bug in the retention — each mode
            computes exact retention times a positive row factor — but the ε of the per-head norm seeing
            those factors; the maintainers' advice is to set ε = 0 to compare the modes. This package
            computes exact retention in every form, so its three forms agree whatever ε is:
            """)
        let oursParallel = try ts.pass(x).output
        nb.check("ours, ε = \(Format.scientific(eps, 1)): recurrent form = parallel form",
                 try ts(x, form: .recurrent).output, oursParallel, tolerance: .relative(1e-12))
        nb.check("ours, ε = \(Format.scientific(eps, 1)): chunkwise form = parallel form",
                 try ts(x, form: .chunkwise(chunkSize: chunkSize)).output, oursParallel, tolerance: .relative(1e-12))
        nb.prose("""
            The layer is complete: heads with their own memories, a norm that makes them comparable, a
            gate. Chapter 07 stacks it with a feed-forward network into the whole RetNet.
            """)
    }
}

Chapter06.main()
