import DecodingCosts
import FastTraining
import Matrices
import MultiScaleRetention
import Notebook
import RetNetModel
import Transformer

extension Chapter12 {
    /// The small models the checked steps train: E = 32, V = 64, h = 2 (d_k = 16, d_v = 32), one block.
    var smallShape: RetNetConfig {
        RetNetConfig(variant: .torchscale, embedDim: 32, valueEmbedDim: 64, retentionHeads: 2, ffnEmbedDim: 64, layers: 1,
                     vocabSize: 40, layernormEps: 1e-6, activationFn: .swish, noScaleEmbedding: true)
    }

    /// One training step of each form on two sequences of n tokens, and what its workspace holds.
    func step(_ form: HeadForm, retnet: RetNet<Float>, transformer: Transformer<Float>, sequences: [[Int]], block: Int)
        throws -> (loss: Float, size: WorkspaceSize?)
    {
        switch form {
        case .retnetParallel, .retnetChunkwise:
            let fast = try FastGradients(threads: threads, form: form == .retnetParallel ? .parallel : .chunkwise(chunkSize: block))
            return (try fast.lossAndGradients(retnet, sequences: sequences).loss, fast.lastWorkspace)
        case .transformerNaive, .transformerTiled:
            let fast = try FastTransformerGradients(threads: threads, form: form == .transformerNaive ? .naive : .tiled(blockSize: block))
            return (try fast.lossAndGradients(transformer, sequences: sequences).loss, fast.lastWorkspace)
        }
    }

    func whatAStepKeeps(_ nb: Notebook) throws {
        nb.section("What a training step keeps")
        nb.prose("""
            A training step runs every block forward, keeping what the backward pass will read, then
            backward. Each block keeps n rows of a few widths — its norms, its projections, its FFN —
            whatever the form. The forms differ in their heads. Per sequence and head, with d_k = E/h,
            d_v = V/h and B the chunk or block size:
            """)
        nb.equation("""
            parallel, naive   keep Q, K, V (and A, n², when n ≤ d_k + d_v); scratch 2n² per thread (A and dA)
            chunkwise         keep Q, K, V and ⌈n/B⌉ states R_{i−1} (d_k×d_v each); scratch 2B²
            tiled             keep Q, K, V, O and each row's log-sum-exp L (n(d_v + 1)); scratch 2B²
            """, latex: #"\begin{aligned} &\text{parallel, naive: } Q, K, V\ (+A \text{ when } n \le d_k + d_v);\ \text{scratch } 2n^2 \\ &\text{chunkwise: } Q, K, V,\ \lceil n/B \rceil\ \text{states } R_{i-1} \in \mathbb{R}^{d_k \times d_v};\ \text{scratch } 2B^2 \\ &\text{tiled: } Q, K, V, O, L\ (n(d_v + 1));\ \text{scratch } 2B^2 \end{aligned}"#)
        nb.prose("""
            The chunkwise form keeps each chunk's starting state so that its backward pass is one sweep
            over the chunks, last first (chapter 10's reference recomputes them in a second pass
            instead). The tiled form never holds a row's weights at once: a row's softmax is built over
            the key blocks with a running maximum m and sum l, and its backward pass computes each
            block's weights again as e^{S − L}. Neither holds an n×n matrix.

            The counts (`StepCost`, written from the shapes) against the buffers a real training step
            allocates (`lastWorkspace`, summed from the buffers themselves), for a small model (E = 32,
            V = 64, h = 2, so d_k + d_v = 48), two sequences, B = \(chunkSize), \(threads) thread(s):
            """)
        let config = smallShape
        let retnet = try RetNet<Float>.random(config: config, seed: seed)
        let transformer = try Transformer<Float>.random(config: TransformerConfig(matching: config), seed: seed)
        let shape = HeadShape(embed: config.embedDim, value: config.valueEmbedDim, heads: config.retentionHeads)
        var rng = SplitMix64(seed: seed &+ 1)
        var rows: [[String]] = []
        for n in Array(Set([32, 64, length])).sorted() {
            let sequences = (0..<2).map { _ in (0...n).map { _ in Int(rng.next() % UInt64(config.vocabSize)) } }
            var losses: [HeadForm: Float] = [:]
            for form in HeadForm.allCases {
                let (loss, size) = try step(form, retnet: retnet, transformer: transformer, sequences: sequences, block: chunkSize)
                losses[form] = loss
                let count = StepCost(form, shape, length: n, sequences: 2, block: chunkSize)
                let kept = size?.keptByHeads ?? [], scratch = size?.headScratch ?? []
                rows.append([Format.grouped(n), form.rawValue, Format.grouped(count.kept), kept.map(Format.grouped).joined(separator: ", "),
                             Format.grouped(count.scratch), scratch.map(Format.grouped).joined(separator: ", ")])
                nb.check("\(form.rawValue), n = \(n): the heads keep \(Format.grouped(count.kept)) floats and each of \(threads) thread(s) holds \(Format.grouped(count.scratch)), as counted",
                         kept == [count.kept] && scratch == Array(repeating: count.scratch, count: threads),
                         "allocated: kept \(kept), scratch \(scratch)")
            }
            // Both pairs of forms compute the same loss up to Float rounding: FastTrainingTests' bound for a
            // forward pass, (10·(L + 1)·√K + n)·u with K = max(2n, F, 2E + 2V).
            let k = Double(max(2 * n, config.ffnEmbedDim, 2 * config.embedDim + 2 * config.valueEmbedDim))
            let bound = (10 * Double(config.layers + 1) * k.squareRoot() + Double(n)) * 0x1p-24
            for (a, b) in [(HeadForm.retnetParallel, HeadForm.retnetChunkwise), (.transformerNaive, .transformerTiled)] {
                let (x, y) = (Double(losses[a]!), Double(losses[b]!))
                nb.check("n = \(n): \(b.rawValue)'s loss = \(a.rawValue)'s within \(Format.scientific(bound, 1)) relative",
                         abs(x - y) / x <= bound, "\(x) against \(y): \(Format.scientific(abs(x - y) / x, 2))")
            }
        }
        nb.table(["n", "form", "kept, counted", "kept, allocated", "scratch, counted", "scratch per thread, allocated"], rows)
        nb.prose("""
            At n = 32 the parallel and naive forms keep their weights (n ≤ d_k + d_v: they take no
            more room than Q and V); beyond, they compute them again in the backward pass, one n×n×d_k
            product, rather than keep h·n² floats per block — but the scratch still holds two n×n
            matrices per thread, which is what grows as n².
            """)
    }
}
