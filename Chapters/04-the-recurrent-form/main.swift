import ArgumentParser
import Diagonalisation
import Matrices
import Notebook
import Retention

struct Chapter04: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chapter04",
        abstract: "04 — The recurrent form (Eq. 6): S_n = γ S_{n−1} + K_nᵀ V_n, o_n = Q_n S_n, O(1) per token.")

    @Option(help: "Sequence length n.")
    var length = 6

    @Option(help: "Width d of the inputs, queries and keys; even (rotations act on pairs).")
    var dim = 4

    @Option(help: "Width d_v of the values.")
    var valueDim = 3

    @Option(help: "The decay γ, in (0, 1].")
    var gamma = 1 - 1.0 / 32

    @Option(help: "Seed of the random inputs and weights.")
    var seed: UInt64 = 4

    @OptionGroup var page: PageOptions

    func validate() throws {
        guard length >= 2, length <= 2_000 else {
            throw ValidationError("--length must be in 2...2000 (the decoding check splits the sequence), got \(length).")
        }
        guard dim >= 2, dim % 2 == 0, dim <= 256 else {
            throw ValidationError("--dim must be even (rotations act on pairs) and in 2...256, got \(dim).")
        }
        guard valueDim >= 1, valueDim <= 256 else { throw ValidationError("--value-dim must be in 1...256, got \(valueDim).") }
        guard gamma > 0, gamma <= 1 else { throw ValidationError("--gamma must be in (0, 1], got \(gamma).") }
    }

    func run() throws {
        let nb = Notebook(title: "04 — The recurrent form", command: "chapter04", options: page)
        try narrate(nb)
        try nb.finish()
    }

    func narrate(_ nb: Notebook) throws {
        nb.prose("""
            The parallel form of chapter 03 computes all n outputs at once, at a cost that grows with
            n for every token. Generating text needs the opposite: one new token at a time, as cheaply
            as possible. This chapter folds the parallel form back into a recurrence — now with a
            diagonal, scalar decay — and checks that nothing changed.
            """)

        nb.section("Deriving the recurrence (Eq. 6)")
        nb.prose("""
            Row n of (Q Kᵀ ⊙ D) V is Σ_{m≤n} γ^{n−m} (Q_n·K_m) V_m. Q_n does not depend on m, so it
            leaves the sum, and what remains is a d×d_v matrix that depends only on the past:
            """)
        nb.equation("o_n = Q_n S_n,   S_n = Σ_{m≤n} γ^{n−m} K_mᵀ V_m",
                    latex: #"o_n = Q_n S_n, \qquad S_n = \sum_{m \le n} \gamma^{\,n-m} K_m^{\top} V_m"#)
        nb.prose("""
            Split off the last term, m = n, and factor one γ out of the others: what is left is S_{n−1}.
            """)
        nb.equation("S_n = γ S_{n−1} + K_nᵀ V_n,   Retention(X_n) = Q_n S_n",
                    latex: #"S_n = \gamma S_{n-1} + K_n^{\top} V_n, \qquad \operatorname{Retention}(X_n) = Q_n S_n"#)
        nb.prose("""
            This is chapter 01's recurrence with A = γI: the diagonalisation of chapter 02 turned the
            d×d matrix multiplication into a scaling. The rotated queries and keys come from chapter 03;
            a decoder rotates each token by its own position as it arrives. Both forms are Double, so
            they agree to rounding; 1e-12 relative is the bound, as before.
            """)
        var rng = SplitMix64(seed: seed)
        let x = Matrix<Double>.gaussian(rows: length, columns: dim, using: &rng)
        let scale = 1 / Double(dim).squareRoot()
        let wQ = Matrix<Double>.gaussian(rows: dim, columns: dim, scale: scale, using: &rng)
        let wK = Matrix<Double>.gaussian(rows: dim, columns: dim, scale: scale, using: &rng)
        let wV = Matrix<Double>.gaussian(rows: dim, columns: valueDim, scale: scale, using: &rng)
        let theta = PairRotation.torchscaleAngles(pairs: dim / 2)
        let q = try PairRotation.rotate(x * wQ, theta: theta)
        let k = try PairRotation.rotate(x * wK, theta: theta)
        let v = x * wV
        let decay = try Decay(gamma)
        let parallel = try ParallelRetention.outputs(q: q, k: k, v: v, decay: decay)
        let recurrent = try RecurrentRetention.outputs(q: q, k: k, v: v, decay: decay)
        nb.show("recurrent outputs o_n = Q_n S_n", recurrent.outputs)
        nb.check("recurrent form = parallel form, every step", recurrent.outputs, parallel, tolerance: .relative(1e-12))
        nb.show("the state S_n after the last token (d×d_v, whatever n is)", recurrent.state.s)

        nb.section("Decoding: a state you can hold, copy and resume")
        nb.prose("""
            A decoder keeps the state between calls. Here the first half of the sequence is run, the
            state is copied and set aside, and the second half is fed one token at a time — each
            projected and rotated only when it arrives, at its own position. The outputs must be the
            rows of the parallel form, and the copy must be untouched by the steps taken after it.
            """)
        let half = length / 2
        let prefix = try RecurrentRetention.outputs(
            q: q.rowRange(0..<half), k: k.rowRange(0..<half), v: v.rowRange(0..<half), decay: decay)
        let saved = prefix.state
        var state = prefix.state
        var decoded = Matrix<Double>(rows: 0, columns: valueDim)
        for n in half..<length {
            let token = x.row(n)
            let qn = try PairRotation.rotate(token * wQ, theta: theta, offset: state.position)
            let kn = try PairRotation.rotate(token * wK, theta: theta, offset: state.position)
            decoded = decoded.stacked(above: try state.step(q: qn, k: kn, v: token * wV, decay: decay))
        }
        nb.check("token-by-token decoding after a prefix = parallel rows \(half)…\(length - 1)",
                 decoded, parallel.rowRange(half..<length), tolerance: .relative(1e-12))
        let resumed = try RecurrentRetention.outputs(
            q: q.rowRange(half..<length), k: k.rowRange(half..<length), v: v.rowRange(half..<length),
            decay: decay, from: saved)
        nb.check("resuming the saved copy replays the same outputs", resumed.outputs, decoded, tolerance: .relative(1e-12))
        nb.check("the live state after decoding = the state after the full recurrent pass", state.s, recurrent.state.s,
                 tolerance: .relative(1e-12))

        nb.section("In Float")
        nb.prose("""
            The state is a running sum, so Float rounding accumulates with every step — but each old
            error is multiplied by γ ≤ 1 at every step, so it cannot grow. The error is then bounded by
            a few ulps times the effective memory min(n, 1/(1−γ)) terms: for n and 1/(1−γ) up to a few
            thousand that is ≲ 1e-4 in the worst case, and measured ~1e-7 for these sizes. Bound: 1e-5
            relative, as in chapter 03 (the test suite measures long sequences separately).
            """)
        let floatRecurrent = try RecurrentRetention.outputs(
            q: q.converted(to: Float.self), k: k.converted(to: Float.self), v: v.converted(to: Float.self),
            decay: try Decay(Float(gamma)))
        nb.check("Float recurrent form ≈ Double parallel form", floatRecurrent.outputs.converted(to: Double.self), parallel,
                 tolerance: .relative(1e-5))

        nb.section("What it costs")
        nb.prose("""
            Per token the recurrent form does O(d·d_v) work and holds one d×d_v state, however long the
            sequence: the property that makes RetNet's inference cheap (a Transformer's KV cache grows
            with n). The price is sequential work: token n waits for token n − 1, which is slow for
            training on long sequences. Counted for d = d_v = 64, beside the parallel form:
            """)
        let lengths = [256, 1_024, 4_096, 16_384, 65_536]
        nb.table(["n", "recurrent: multiply–adds", "per token", "state (scalars)", "parallel: per token",
                  "parallel: peak scalars"], try lengths.map { n in
            let recurrentCost = try RetentionCost.recurrent(length: n, keyDimension: 64, valueDimension: 64)
            let parallelCost = try RetentionCost.parallel(length: n, keyDimension: 64, valueDimension: 64)
            return [Format.grouped(n), Format.grouped(recurrentCost.multiplyAdds),
                    Format.grouped(recurrentCost.multiplyAdds / n), Format.grouped(recurrentCost.peakScalars),
                    Format.grouped(parallelCost.multiplyAdds / n), Format.grouped(parallelCost.peakScalars)]
        })
        nb.prose("""
            Constant per token, constant memory. Chapter 05 combines the two forms: parallel inside
            chunks of B tokens, recurrent between them.
            """)
    }
}

Chapter04.main()
