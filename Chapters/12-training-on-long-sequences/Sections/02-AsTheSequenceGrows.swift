import Matrices
import Notebook

extension Chapter12 {
    /// The shape of the counts and of `--measure`: E = 256, V = 512, h = 4 (d_k = 64, d_v = 128), 4 blocks.
    static let scaleShape = HeadShape(embed: 256, value: 512, heads: 4)
    static let scaleLayers = 4
    /// B of the counts and of `--measure`, chunk and block alike.
    static let scaleBlock = 256
    static let scaleLengths = [256, 512, 1_024, 2_048, 4_096, 8_192, 16_384]

    func asTheSequenceGrows(_ nb: Notebook) throws {
        nb.section("As the sequence grows")
        let (shape, layers, b) = (Self.scaleShape, Self.scaleLayers, Self.scaleBlock)
        nb.prose("""
            The counts just checked, applied to the shape of the measurements below — E = 256,
            V = 512, h = 4 (d_k = 64, d_v = 128), \(layers) blocks, one sequence, B = \(b) for the chunks
            and the tiles alike. Memory in MiB of Float: what the heads of all blocks keep, and one
            thread's scratch.
            """)
        let lengths = Self.scaleLengths
        func cost(_ form: HeadForm, _ n: Int) -> StepCost { StepCost(form, shape, length: n, block: b) }
        func mib(_ floats: Int) -> String { Format.fixed(Double(floats) * 4 / 1_048_576, 1) }
        nb.table(["n"] + HeadForm.allCases.map { "\($0.rawValue): kept · scratch" }, lengths.map { n in
            [Format.grouped(n)] + HeadForm.allCases.map { form in
                let c = cost(form, n)
                return "\(mib(layers * c.kept)) · \(mib(c.scratch))"
            }
        })
        for form in [HeadForm.retnetChunkwise, .transformerTiled] {
            let doubling = zip(lengths, lengths.dropFirst()).allSatisfy { cost(form, $1).kept == 2 * cost(form, $0).kept }
            nb.check("\(form.rawValue): what the heads keep doubles exactly as n doubles (B divides n): linear in n", doubling,
                     lengths.map { Format.grouped(cost(form, $0).kept) }.joined(separator: ", "))
        }
        let (last, previous) = (lengths.last!, lengths[lengths.count - 2])
        let growth = Double(cost(.retnetParallel, last).scratch) / Double(cost(.retnetParallel, previous).scratch)
        nb.check("the parallel form's scratch grows as n²: ×\(Format.fixed(growth, 3)) from n = \(Format.grouped(previous)) to \(Format.grouped(last)), within 1% of 4",
                 abs(growth - 4) <= 0.04, "×\(growth)")

        nb.prose("""
            The scores held at once are where the Transformer's two forms part: the naive form's A and
            dA, 2n² per thread, against the tiled form's 2B², a factor (n/B)². At n = 16,384 and
            B = \(b):
            """)
        let (naive, tiled) = (cost(.transformerNaive, last), cost(.transformerTiled, last))
        let factor = (last / b) * (last / b)
        nb.check("at n = \(Format.grouped(last)) the naive scores (\(Format.grouped(naive.scores)) floats, \(mib(naive.scores)) MiB per thread) are (n/B)² = \(Format.grouped(factor)) times the tiled ones (\(Format.grouped(tiled.scores)))",
                 naive.scores == factor * tiled.scores, "ratio \(Double(naive.scores) / Double(tiled.scores))")
        let autograd = shape.heads * layers * last * last
        nb.prose("""
            — \(mib(naive.scores)) MiB per thread, on top of everything else, for one sequence: why the
            naive form is not measured at that length below. (A Transformer trained by autograd keeps
            the weights of every head and block for the backward pass, h·L·n² floats —
            \(mib(autograd)) MiB here.)

            Work: multiply–adds of the heads of all blocks, forward and backward, as the code runs
            them (its products compute the zeros above a block's diagonal too, but the tiled form
            skips the blocks above the diagonal), and the longest chain of products that must wait
            for each other within a head:
            """)
        nb.table(["n"] + HeadForm.allCases.map(\.rawValue) + ["dependent steps: chunkwise, tiled"], lengths.map { n in
            [Format.grouped(n)] + HeadForm.allCases.map { Format.fixed(Double(layers * cost($0, n).multiplyAdds) / 1e9, 2) + " G" }
                + ["\(cost(.retnetChunkwise, n).dependentSteps), \(cost(.transformerTiled, n).dependentSteps)"]
        })
        let half = Double(tiled.multiplyAdds) / Double(naive.multiplyAdds)
        let predicted = (1 + Double(b) / Double(last)) / 2
        nb.check("the tiled form does (1 + B/n)/2 = \(Format.fixed(predicted, 4)) of the naive form's head work at n = \(Format.grouped(last)): it skips the blocks above the diagonal",
                 abs(half - predicted) <= 1e-12 * predicted, "\(half)")
        let perToken = { (n: Int) in Double(cost(.retnetChunkwise, n).multiplyAdds) / Double(n) }
        let flat = perToken(8_192) / perToken(512)
        nb.check("the chunkwise form's head work per token at n = 8,192 is within 1.3× of its own at n = 512 (×\(Format.fixed(flat, 3)))",
                 flat <= 1.3, "×\(flat)")
        nb.prose("""
            The parallel and naive forms do n²(4d_k + 3d_v) per head: their work per token grows as n.
            The chunkwise form does nB(4d_k + 3d_v) plus 6 n d_k d_v for the states: per token a
            constant, bought with a chain of ⌈n/B⌉ dependent steps, where the parallel form has one.
            The tiled form does about half the naive work, still quadratic; what it saves is memory.
            """)
    }
}
