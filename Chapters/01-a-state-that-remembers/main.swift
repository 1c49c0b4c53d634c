import ArgumentParser
import ChapterSupport
import Matrices
import Notebook
@_spi(Chapters) import Recurrence

struct Chapter01: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chapter01",
        abstract: "01 — A state that remembers: a linear recurrence, unrolled, is causal linear attention.")

    @Option(help: "Sequence length n (number of time steps).")
    var length = 5

    @Option(help: "Width d of queries and keys (the state is d×d_v).")
    var dim = 3

    @Option(help: "Width d_v of the values.")
    var valueDim = 2

    @Option(help: "Seed of the random inputs and weights.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Break one step on purpose to watch its check fail: 'unrolled-exponent' uses A^{n−m+1}.",
                               valueName: "step"))
    var breakStep: BrokenStep?

    @OptionGroup var page: PageOptions

    enum BrokenStep: String, ExpressibleByArgument, CaseIterable {
        case unrolledExponent = "unrolled-exponent"
    }

    func validate() throws {
        guard length >= 1 else { throw ValidationError("--length must be at least 1, got \(length).") }
        guard dim >= 1 else { throw ValidationError("--dim must be at least 1, got \(dim).") }
        guard valueDim >= 1 else { throw ValidationError("--value-dim must be at least 1, got \(valueDim).") }
        // The unrolled sum looks back over every earlier step with a power of A: its cost grows
        // as n³ in the debug build `swift run` makes (200 steps at width 64: about half a minute
        // on a loaded 2-core machine), so the bounds keep a run under a minute.
        guard length <= 200, dim <= 64, valueDim <= 64 else {
            throw ValidationError("This walkthrough prints its matrices and unrolls every step (a cost of n³); "
                                  + "keep --length ≤ 200 and --dim, --value-dim ≤ 64, got \(length), \(dim), \(valueDim).")
        }
    }

    func run() throws {
        let nb = Notebook(title: "01 — A state that remembers", command: "chapter01", options: page)
        try narrate(nb)
        try nb.finish()
    }

    func narrate(_ nb: Notebook) throws {
        nb.prose("""
            Retention starts from the oldest idea in sequence modelling: keep a **state** and update it
            with every token. The paper (Sun et al. 2023, Sec. 2.1) writes the state update as a linear
            recurrence and shows that, unrolled, it is an attention-like sum. This chapter runs that
            recurrence, unrolls it, and meets linear attention — with softmax attention beside it for
            contrast.
            """)

        nb.section("The recurrence (Eq. 1)")
        nb.prose("""
            A sequence of n tokens arrives one at a time. At step n the model writes the pair (K_n, v_n)
            into a state s through a fixed transition A, and reads the state back with the query Q_n:
            """)
        nb.equation("s_n = A s_{n−1} + K_nᵀ v_n,    o_n = Q_n s_n",
                    latex: #"s_n = A\,s_{n-1} + K_n^{\top} v_n, \qquad o_n = Q_n\, s_n"#)
        nb.prose("""
            Q_n and K_n are rows of width d and v_n is a row of width d_v, so the state is a d×d_v
            matrix: its size never depends on how many tokens came before. Random inputs, seeded so the
            page is reproducible:
            """)
        var rng = SplitMix64(seed: seed)
        let q = Matrix<Double>.gaussian(rows: length, columns: dim, scale: 1 / Double(dim).squareRoot(), using: &rng)
        let k = Matrix<Double>.gaussian(rows: length, columns: dim, scale: 1 / Double(dim).squareRoot(), using: &rng)
        let v = Matrix<Double>.gaussian(rows: length, columns: valueDim, using: &rng)
        let a = Matrix<Double>.gaussian(rows: dim, columns: dim, scale: 0.5 / Double(dim).squareRoot(), using: &rng)
        nb.show("A", a)
        let recurrent = try LinearRecurrence.outputs(q: q, k: k, v: v, transition: a)
        nb.show("o (one row per step, from the recurrence)", recurrent)

        nb.section("Unrolling the recurrence")
        nb.prose("""
            Substitute s_{n−1} into s_n, then s_{n−2} into that, down to s_0 = 0. Each token's write
            K_mᵀ v_m has been multiplied by A once for every step since it was written:
            """)
        nb.equation("o_n = Σ_{m≤n} Q_n A^{n−m} K_mᵀ v_m",
                    latex: #"o_n = \sum_{m \le n} Q_n\, A^{\,n-m} K_m^{\top} v_m"#)
        nb.prose("""
            The sum has no state at all: output n looks back at every earlier token directly. The two
            must agree at every step. Both are computed in Double; the recurrence rounds in each step's
            products, and the sum builds each A^{n−m} by repeated products and adds its terms one at a
            time, so for these few steps they agree to a few units in the last place of the largest
            output (~1e-16 relative). A tolerance of 1e-12 leaves four orders of margin and still
            catches any mistake in the algebra, which shows up at order 1. A relative error, here and in
            every chapter, is normwise: the largest |got − expected| over the largest |expected|, so it
            counts digits of agreement at the scale of the result. (`--break-step
            unrolled-exponent` makes the sum use A^{n−m+1} — an off-by-one — to show this check failing;
            by default the exponent is exact.)
            """)
        let unrolled = try LinearRecurrence.unrolledOutputs(
            q: q, k: k, v: v, transition: a, lagOffset: breakStep == .unrolledExponent ? 1 : 0)
        nb.check("recurrence = unrolled sum, every step", recurrent, unrolled, tolerance: .relative(1e-12))

        nb.section("A = I: causal linear attention")
        nb.prose("""
            With no transition at all (A = I) every term keeps its full weight, and the unrolled sum is
            Σ_{m≤n} (Q_n K_mᵀ) v_m. Stacked over all n that is a matrix product with a causal mask M
            (M_nm = 1 if m ≤ n, else 0):
            """)
        nb.equation("O = (Q Kᵀ ⊙ M) V",
                    latex: #"O = \left(Q K^{\top} \odot M\right) V"#)
        nb.prose("""
            This is *linear attention*: softmax attention with the softmax taken out. Written as a
            product it costs O(n²) like attention; written as the recurrence it costs O(d·d_v) per token.
            """)
        let linear = try CausalAttention.linear(q: q, k: k, v: v)
        let identityRecurrence = try LinearRecurrence.outputs(q: q, k: k, v: v, transition: .identity(dim))
        nb.check("recurrence with A = I = (Q Kᵀ ⊙ M) V", identityRecurrence, linear, tolerance: .relative(1e-12))

        nb.section("What the softmax costs")
        nb.prose("""
            Causal softmax attention normalises each row of scores with exp before weighting the values.
            A linear score q·k is an inner product, so Σ_m (q_n·k_m) v_m = q_n Σ_m k_mᵀ v_m and the sum
            can be kept, before q_n is known, as one d×d_v state. exp(q·k) is not an inner product of
            finite features of q and of k (no finite φ, ψ give exp(q·k) = φ(q)·ψ(k)), and the
            normaliser depends on q_n too, so Σ_m exp(q_n·k_m) v_m cannot be accumulated before q_n
            arrives: a decoder keeps every past key and value (the KV cache) and reads all of them for
            each new token.
            """)
        let softmax = try CausalAttention.softmax(q: q, k: k, v: v)
        nb.show("softmax attention output", softmax)
        nb.show("linear attention output", linear)
        let firstRowsAgree = softmax.row(0).deviation(from: v.row(0)).maxAbsolute
        nb.check("softmax's first output is v_1 exactly (one token: weight 1)", firstRowsAgree <= 1e-15,
                 "max |Δ| = \(Format.scientific(firstRowsAgree))")
        nb.table(["", "linear attention (recurrent)", "softmax attention (KV cache)"], [
            ["memory at step n", "d·d_v = \(dim * valueDim) numbers", "n·(d + d_v) = \(length * (dim + valueDim)) at n = \(length)"],
            ["work per new token", "O(d·d_v)", "O(n·(d + d_v))"],
        ])

        nb.section("Content-aware projections (Eq. 2)")
        nb.prose("""
            In a model the queries, keys and values come from the tokens themselves, through learned
            matrices: Q = X W_Q, K = X W_K, V = X W_V. What the state stores then depends on the
            content. Because each row of Q, K and V depends only on its own token, a decoder can
            project each token as it arrives and never needs the whole X — and the model stays causal:
            changing a later token cannot change an earlier output. Check both: the recurrence with each
            token projected on arrival against projecting X first, and the outputs before position
            \(length / 2) after every token from there on is replaced by another (bit for bit, since the
            earlier steps compute exactly the same numbers):
            """)
        nb.equation("Q = X W_Q,   K = X W_K,   V = X W_V",
                    latex: #"Q = X W_Q, \quad K = X W_K, \quad V = X W_V"#)
        let model = 4
        let x = Matrix<Double>.gaussian(rows: length, columns: model, using: &rng)
        let projections = try Projections(
            wQ: Matrix<Double>.gaussian(rows: model, columns: dim, scale: 1 / Double(model).squareRoot(), using: &rng),
            wK: Matrix<Double>.gaussian(rows: model, columns: dim, scale: 1 / Double(model).squareRoot(), using: &rng),
            wV: Matrix<Double>.gaussian(rows: model, columns: valueDim, scale: 1 / Double(model).squareRoot(), using: &rng))
        let (pq, pk, pv) = try projections(x)
        let batched = try LinearRecurrence.outputs(q: pq, k: pk, v: pv, transition: a)
        let streamed = try projections.streamingOutputs(x, transition: a)
        nb.check("projecting X first = projecting each token on arrival", streamed, batched, tolerance: .relative(1e-12))
        let split = length / 2
        var altered = x
        for n in split..<length {
            altered.setRows(from: n, to: Matrix<Double>.gaussian(rows: 1, columns: model, using: &rng))
        }
        let (aq, ak, av) = try projections(altered)
        let alteredOutputs = try LinearRecurrence.outputs(q: aq, k: ak, v: av, transition: a)
        if split > 0 {
            nb.check("outputs 0…\(split - 1) do not depend on tokens \(split)…\(length - 1)",
                     alteredOutputs.rowRange(0..<split), batched.rowRange(0..<split), tolerance: .absolute(0))
        }
        let later = alteredOutputs.rowRange(split..<length).deviation(from: batched.rowRange(split..<length)).maxRelative
        nb.check("…while the outputs from position \(split) on do change", later > 1e-6,
                 "max relative change \(Format.scientific(later)) > 1e-6")
        nb.prose("""
            So far A is a general d×d matrix, and every step multiplies the state by it: O(d²·d_v) work.
            Chapter 02 diagonalises A, and the multiplication becomes an element-wise scaling and
            rotation — the step from a generic recurrence to retention.
            """)
    }
}

Chapter01.main()
