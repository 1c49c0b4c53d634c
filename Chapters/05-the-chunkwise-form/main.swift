import ArgumentParser
import ChapterSupport
import Diagonalisation
import Matrices
import Notebook
@_spi(Chapters) import Retention

struct Chapter05: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chapter05",
        abstract: "05 — The chunkwise recurrent form (Eq. 7): parallel inside chunks, recurrent between them.")

    @Option(help: "Sequence length n.")
    var length = 10

    @Option(help: "Chunk size B (any B ≥ 1; it need not divide n, and may exceed it).")
    var chunkSize = 4

    @Option(help: "Seed of the random inputs and weights.")
    var seed: UInt64 = 5

    @Option(help: ArgumentHelp("Break one step on purpose to watch its check fail: 'zeta' uses ζ_j = γ^{B−j} (one power too many).",
                               valueName: "step"))
    var breakStep: BrokenStep?

    @OptionGroup var sizes: SingleHeadSizes

    @OptionGroup var page: PageOptions

    enum BrokenStep: String, ExpressibleByArgument, CaseIterable {
        case zeta
    }

    func validate() throws {
        try FlagCheck.length(length)
        try FlagCheck.chunkSize(chunkSize)
    }

    func run() throws {
        let nb = Notebook(title: "05 — The chunkwise recurrent form", command: "chapter05", options: page)
        try narrate(nb)
        try nb.finish()
    }

    func narrate(_ nb: Notebook) throws {
        nb.prose("""
            The parallel form is fast on hardware but quadratic in n; the recurrent form is linear but
            sequential. The chunkwise form (paper Eq. 7) cuts the sequence into chunks of B tokens: each
            chunk is computed in parallel, and one state carries everything earlier from chunk to
            chunk. Cost is linear in n, and each step is a matrix product of size B. (B is the
            paper's letter for the chunk size, Sec. 2.2, and the later chapters keep it: b is the
            length of one particular chunk, and a batch of sequences, in chapters 09 and 11, is M.)
            """)

        nb.section("Splitting the sum at the chunk boundary")
        nb.prose("""
            Chunk i holds rows iB … iB + b − 1 (b = B, except that the last chunk may be shorter). Take
            the row n = iB + j, with j its place inside the chunk. Its sum over the past splits in two:
            the tokens of its own chunk, and all earlier ones:
            """)
        nb.equation("o_n = Σ_{iB≤m≤n} γ^{n−m} (Q_n·K_m) V_m  +  Σ_{m<iB} γ^{n−m} (Q_n·K_m) V_m",
                    latex: #"o_n = \sum_{iB \le m \le n} \gamma^{\,n-m} (Q_n \cdot K_m) V_m \;+\; \sum_{m < iB} \gamma^{\,n-m} (Q_n \cdot K_m) V_m"#)
        nb.prose("""
            The first part is the parallel form on the chunk alone: (Q_[i] K_[i]ᵀ ⊙ D) V_[i] with a b×b
            D. In the second, write γ^{n−m} = γ^{j+1} · γ^{iB−1−m}: the first factor depends only on the
            row (that is ξ_j = γ^{j+1}), and what remains is chapter 04's state after the previous
            chunk's last row, R_{i−1} = S_{iB−1}. To move R across a whole chunk, age the old state by
            γ^b and add the chunk's own writes, row j's write aged by its distance b − j − 1 to the
            chunk's last row: that factor is ζ_j = γ^{b−j−1}. It is easy to miss in Eq. 7, and a port
            that drops it gets every state after the first chunk wrong:
            """)
        nb.equation("Retention(X_[i]) = (Q_[i] K_[i]ᵀ ⊙ D) V_[i] + (Q_[i] R_{i−1}) ⊙ ξ,   ξ_j = γ^{j+1}\n    R_i = K_[i]ᵀ (V_[i] ⊙ ζ) + γ^b R_{i−1},   ζ_j = γ^{b−j−1}",
                    latex: #"\begin{aligned} \operatorname{Retention}(X_{[i]}) &= \left(Q_{[i]} K_{[i]}^{\top} \odot D\right) V_{[i]} + \left(Q_{[i]} R_{i-1}\right) \odot \xi, & \xi_j &= \gamma^{\,j+1} \\ R_i &= K_{[i]}^{\top} \left(V_{[i]} \odot \zeta\right) + \gamma^{b} R_{i-1}, & \zeta_j &= \gamma^{\,b-j-1} \end{aligned}"#)
        var rng = SplitMix64(seed: seed)
        let x = Matrix<Double>.gaussian(rows: length, columns: sizes.dim, using: &rng)
        let (q, k, v) = try RotatedProjections.random(model: sizes.dim, key: sizes.dim, value: sizes.valueDim, using: &rng)(x)
        let decay = try Decay(sizes.gamma)
        let parallel = try ParallelRetention.outputs(q: q, k: k, v: v, decay: decay)
        let recurrent = try RecurrentRetention.outputs(q: q, k: k, v: v, decay: decay)

        nb.section("Checking it for this B, and for every kind of B")
        nb.prose("""
            With n = \(length) and B = \(chunkSize) there are \((length + chunkSize - 1) / chunkSize) chunks\
            \(length % chunkSize == 0 ? "" : ", the last of \(length % chunkSize) rows: it is computed with its own b, no padding").
            The chunkwise outputs must equal the parallel ones row for row, and its final state must
            equal the recurrent form's. All Double; 1e-12 relative, as before. (`--break-step zeta` runs
            every chunkwise pass below with ζ_j = γ^{b−j}, one power too many, to show these checks
            failing; by default ζ is Eq. 7's.)
            """)
        let zetaOffset = breakStep == .zeta ? 1 : 0
        let chunkwise = try ChunkwiseRetention.outputs(q: q, k: k, v: v, decay: decay, chunkSize: chunkSize,
                                                       zetaOffset: zetaOffset)
        nb.show("chunkwise outputs, B = \(chunkSize)", chunkwise.outputs)
        nb.check("chunkwise (B = \(chunkSize)) = parallel form", chunkwise.outputs, parallel, tolerance: .relative(1e-12))
        nb.check("chunkwise final state R = recurrent state S_n", chunkwise.state.s, recurrent.state.s,
                 tolerance: .relative(1e-12))
        nb.figure("Figures/chunkwise.png", caption: """
            The chunkwise form for this chapter's defaults, n = 10 and B = 4, traced from
            `ChunkwiseRetention.outputs`: three chunks, the last of 2 rows (no padding). Inside each, the
            inner part is a parallel form on the chunk and the cross part reads the state R of the chunk
            before; the thick edges are the states handed from chunk to chunk. Regenerated by
            `swift run figures`.
            """)
        nb.prose("""
            B = 1 is the recurrent form with extra steps, B ≥ n is the parallel form, and everything in
            between must agree too — divisors of n and non-divisors alike:
            """)
        let divisors = (1...length).filter { length % $0 == 0 }
        let sizes = Array(Set([1, 2, 3, length - 1, length, length + 3] + divisors)).filter { $0 >= 1 }.sorted()
        var rows: [[String]] = []
        for size in sizes {
            let result = try ChunkwiseRetention.outputs(q: q, k: k, v: v, decay: decay, chunkSize: size, zetaOffset: zetaOffset)
            let error = result.outputs.deviation(from: parallel).maxRelative
            let kind = size == 1 ? "one token per chunk" : size >= length ? "one chunk (B ≥ n)"
                : length % size == 0 ? "divides n" : "last chunk of \(length % size)"
            rows.append([String(size), kind, Format.scientific(error)])
            nb.check("chunkwise (B = \(size)) = parallel form", result.outputs, parallel, tolerance: .relative(1e-12))
        }
        nb.table(["B", "chunks", "max relative error vs parallel"], rows)

        nb.section("Handing the state over")
        nb.prose("""
            Because R after a chunk is the recurrent state, a prompt can be read chunkwise (fast) and
            generation can continue token by token from the state it leaves. Run the first part of the
            sequence chunkwise, the rest recurrently from the returned state:
            """)
        let split = max(1, length * 2 / 3)
        let prefill = try ChunkwiseRetention.outputs(
            q: q.rowRange(0..<split), k: k.rowRange(0..<split), v: v.rowRange(0..<split), decay: decay,
            chunkSize: chunkSize, zetaOffset: zetaOffset)
        let rest = try RecurrentRetention.outputs(
            q: q.rowRange(split..<length), k: k.rowRange(split..<length), v: v.rowRange(split..<length),
            decay: decay, from: prefill.state)
        nb.check("chunkwise prefill of \(split) tokens, then recurrent = parallel form",
                 prefill.outputs.stacked(above: rest.outputs), parallel, tolerance: .relative(1e-12))

        nb.section("What each form costs")
        nb.prose("""
            Counted for d = d_v = 64 and B = 64: the chunkwise form does linear work like the recurrent
            one, in matrix products of size B, and holds O(B² + B·d + d·d_v) scalars however long the
            sequence.
            """)
        let lengths = [256, 1_024, 4_096, 16_384, 65_536]
        nb.table(["n", "parallel", "recurrent", "chunkwise", "parallel peak", "recurrent peak", "chunkwise peak"],
                 try lengths.map { n in
            let p = try RetentionCost.parallel(length: n, keyDimension: 64, valueDimension: 64)
            let r = try RetentionCost.recurrent(length: n, keyDimension: 64, valueDimension: 64)
            let c = try RetentionCost.chunkwise(length: n, keyDimension: 64, valueDimension: 64, chunkSize: 64)
            return [Format.grouped(n)] + [p, r, c].map { Format.grouped($0.multiplyAdds) }
                + [p, r, c].map { Format.grouped($0.peakScalars) }
        })
        nb.prose("""
            Work is not the whole story for training. A GPU runs what does not depend on each other at
            once, so what bounds the time is the chain of dependent steps: 1 for the parallel form (all
            products at once), n for the recurrent form (token by token), ⌈n/B⌉ for the chunkwise form
            (chunk by chunk, each a few products of size B). And a backward pass needs the forward
            pass's activations: the parallel form's n×n scores, the recurrent form's n states of d×d_v
            (or a second pass to recompute them), the chunkwise form's n·B inner scores and ⌈n/B⌉ chunk
            states. Per head, for d = d_v = 64 and B = 64:
            """)
        nb.table(["n", "dependent steps: parallel", "recurrent", "chunkwise",
                  "activations: parallel n²", "recurrent n·d·d_v", "chunkwise n·B + ⌈n/B⌉·d·d_v"], lengths.map { n in
            let chunks = (n + 63) / 64
            return [Format.grouped(n), "1", Format.grouped(n), Format.grouped(chunks),
                    Format.grouped(n * n), Format.grouped(n * 64 * 64), Format.grouped(n * 64 + chunks * 64 * 64)]
        })
        nb.prose("""
            That is why the paper measures its training cost chunkwise at long sequences (B = 512 at 8k
            tokens, Sec. 3.3, Table 4): a short chain of large products, and activations linear in n.
            (Its language models themselves are trained on 2,048-token sequences, Sec. 3.1.)

            Three forms, one function: parallel for training, recurrent for decoding, chunkwise for long
            sequences — and, as this chapter's checks show, they agree for any B. Next: many heads, each
            with its own γ, and the gate and normalisation around them (chapter 06).
            """)
    }
}

Chapter05.main()
