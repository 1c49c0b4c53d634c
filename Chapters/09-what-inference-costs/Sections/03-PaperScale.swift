import ChapterSupport
import DecodingCosts
import Matrices
import Notebook
import RetNetModel
import Retention
import Transformer

extension Chapter09 {
    /// The counts applied to the paper's 6.7B model and the Transformer it is compared with, at
    /// 8,192 tokens on an A100-80GB, and each of the paper's inference numbers against them.
    func paperScale(_ nb: Notebook) throws {
        nb.section("The paper's 6.7B model and its Transformer")
        let shape = DecodingCost.paper6_7B
        let e = shape.heads * shape.keyDim
        // The paper's numbers are at 8k tokens: this section stays there whatever --context says.
        let paperContext = 8_192
        nb.prose("""
            The paper's 6.7B RetNet has hidden size E = \(Format.grouped(e)), \(shape.layers) layers
            and \(shape.heads) heads; it widens its values to V = 2E, so d_k = \(shape.keyDim) and
            d_v = \(shape.valueDim), and pays for W_G and the wider W_V with an FFN of 2E (Sec. 3.1,
            "parameter allocation"). The Transformer it is compared with is not the matched one of
            the sections above: it is standard multi-head attention, W_Q, W_K, W_V, W_O ∈ R^{E×E}
            — values as wide as keys, d_v = \(shape.transformerValueDim) — with an FFN of 4E. Both
            hold 12E² weights per layer. In fp16 (s = \(shape.elementBytes)), per sequence:
            """)
        let at1 = try DecodingCost.paper6_7B(context: 1)
        let atN = try DecodingCost.paper6_7B(context: paperContext)
        let weightsModel = try MemoryBoundDecoding.paper6_7B(context: paperContext)
        // The layers' weights from the counts, a one-token vocabulary: the RetNet (paper's variant, V = 2E, FFN 2E) and
        // the paper's Transformer (LayerNorm, plain FFN 4E, V = E).
        let retnetLayers = RetNetConfig(variant: .paper, embedDim: e, valueEmbedDim: 2 * e, retentionHeads: shape.heads,
                                        ffnEmbedDim: 2 * e, layers: shape.layers, vocabSize: 1)
        let transformerLayers = TransformerConfig(embedDim: e, valueEmbedDim: e, heads: shape.heads, ffnEmbedDim: 4 * e,
                                                  layers: shape.layers, vocabSize: 1, rmsNorm: false, gluFFN: false)
        let retnetWeights = Double(try DecodingCost.retnet(retnetLayers, context: 0, batch: 1, elementBytes: 1).weightBytesRead)
        let transformerWeights = Double(try DecodingCost.transformer(transformerLayers, context: 0, batch: 1, elementBytes: 1)
            .weightBytesRead)
        nb.check("both models' 32 layers hold 90–100% of the 6.7·10⁹ weights, and within 0.1% of each other",
                 retnetWeights / 6.7e9 > 0.9 && retnetWeights / 6.7e9 <= 1 && abs(transformerWeights / retnetWeights - 1) < 1e-3,
                 "RetNet \(Format.fixed(retnetWeights / 1e9, 3))·10⁹, Transformer \(Format.fixed(transformerWeights / 1e9, 3))·10⁹ "
                    + "(\(Format.fixed(100 * retnetWeights / 6.7e9, 1))%; the rest is embeddings)")
        let matched = try DecodingCost.attentionMixing(layers: shape.layers, heads: shape.heads, keyDim: shape.keyDim,
                                                       valueDim: shape.valueDim, context: 1, elementBytes: shape.elementBytes)
        nb.table(["", "the paper's Transformer (V = E)", "a matched one (V = 2E)"], [
            ["RetNet state, L·h·d_k·d_v·s (any n)", Format.binaryBytes(Double(at1.retentionStateBytes)),
             Format.binaryBytes(Double(at1.retentionStateBytes))],
            ["KV cache per token, L·(E + V)·s", Format.binaryBytes(Double(at1.kvCacheBytes)), Format.binaryBytes(Double(matched.bytes))],
            ["break-even n*", Format.grouped(at1.breakEvenContext),
             Format.grouped(try DecodingCost.breakEvenContext(keyDim: shape.keyDim, valueDim: shape.valueDim))],
            ["KV cache at n = \(Format.grouped(paperContext))", Format.binaryBytes(Double(atN.kvCacheBytes)),
             Format.binaryBytes(Double(paperContext * matched.bytes))],
            ["memory limit, cache / state at n = \(Format.grouped(paperContext))", Format.ratio(weightsModel.limitRatio),
             Format.ratio(Double(paperContext * matched.bytes) / Double(at1.retentionStateBytes))],
            ["time limit, (cache + row) / (2·state)", Format.ratio(weightsModel.limitTimeRatio),
             Format.ratio(Double((paperContext + 1) * matched.bytes) / Double(2 * at1.retentionStateBytes))],
            ["weights W: 6.7·10⁹ × 2 bytes", Format.decimalBytes(weightsModel.weightBytes), Format.decimalBytes(weightsModel.weightBytes)],
        ])
        nb.prose("""
            The value widths now differ, so the break-even of the first section generalises: the
            cache passes the state when L·n·h·(d_k + d_v,T) > L·h·d_k·d_v, with d_v,T the
            Transformer's value head width:
            """)
        nb.equation("n* = ⌊h·d_k·d_v / (E + V_T)⌋ + 1",
                    latex: #"n^{*} = \left\lfloor \frac{h \, d_k \, d_v}{E + V_T} \right\rfloor + 1"#)
        let scanned = try (0...1_000).first { n throws(TransformerError) in
            try DecodingCost.paper6_7B(context: n).kvCacheBytes > at1.retentionStateBytes
        }
        let formula = shape.heads * shape.keyDim * shape.valueDim / (e + shape.heads * shape.transformerValueDim) + 1
        nb.check("n* = ⌊\(shape.heads)·\(shape.keyDim)·\(shape.valueDim)/\(Format.grouped(2 * e))⌋ + 1 = \(formula) is the first n "
                 + "whose counted cache passes the state",
                 at1.breakEvenContext == formula && scanned == formula,
                 "formula \(formula), DecodingCost \(at1.breakEvenContext), first n \(scanned.map(String.init) ?? "none")")

        let (memory, bandwidth) = (MemoryBoundDecoding.a100.memoryBytes, MemoryBoundDecoding.a100.bandwidth)
        nb.prose("""
            Decoding at n = \(Format.grouped(paperContext)) on the paper's GPU, an A100 with 80 GB and
            (data sheet) 2,039 GB/s, memory-bound: each holds W + M·state, and a step moves
            W + 2M·state (the RetNet) or W + M·(cache + row) (the Transformer).
            """)
        var gpuRows: [[String]] = []
        let batches = Array(Set([1, 2, 4, 8, 16, 32, batch])).sorted()
        for b in batches {
            let fits = weightsModel.bytes(.transformer, batch: b) <= memory
            gpuRows.append([String(b), Format.decimalBytes(weightsModel.bytes(.retnet, batch: b)),
                            Format.decimalBytes(weightsModel.bytes(.transformer, batch: b)) + (fits ? "" : " (> 80 GB)"),
                            Format.fixed(weightsModel.tokensPerSecond(.retnet, batch: b, bandwidth: bandwidth), 0),
                            Format.fixed(weightsModel.tokensPerSecond(.transformer, batch: b, bandwidth: bandwidth), 0),
                            Format.ratio(weightsModel.ratio(batch: b)), Format.ratio(weightsModel.timeRatio(batch: b))])
        }
        nb.table(["M", "RetNet memory", "Transformer memory", "RetNet tokens/s", "Transformer tokens/s", "memory ratio",
                  "time ratio"], gpuRows)
        try groupedQueries(nb, paperContext: paperContext)
        try thePapersNumbers(nb, weightsModel: weightsModel, paperContext: paperContext)
    }

    /// Grouped- and multi-query attention: the cache shared by groups of query heads.
    func groupedQueries(_ nb: Notebook, paperContext: Int) throws {
        nb.prose("""
            The paper's baseline gives every query head its own keys and values. Later Transformers
            share them: grouped-query attention (LLaMA-2 70B, Mistral) lets groups of query heads
            read one key and value head, h_kv < h; multi-query attention keeps one (h_kv = 1). The
            cache shrinks by h/h_kv, the attention's multiply–adds do not, and n* grows by the same
            factor (`kvHeads` in `DecodingCost.attentionMixing`):
            """)
        var rows: [[String]] = []
        var previous: MixingComparison? = nil
        var scales = true
        for kv in [16, 4, 2, 1] {
            let c = try DecodingCost.paper6_7B(context: paperContext, kvHeads: kv)
            let model = try MemoryBoundDecoding.paper6_7B(context: paperContext, kvHeads: kv)
            if let p = previous {
                scales = scales && p.kvCacheBytes == c.kvCacheBytes * (p.kvRowBytes / c.kvRowBytes)
                    && c.attentionMultiplyAdds == p.attentionMultiplyAdds
            }
            previous = c
            rows.append([String(kv), Format.binaryBytes(Double(c.kvRowBytes)), Format.grouped(c.breakEvenContext),
                         Format.binaryBytes(Double(c.kvCacheBytes)), Format.ratio(model.limitRatio), Format.ratio(model.limitTimeRatio)])
        }
        nb.table(["key/value heads h_kv", "cache per token", "n*", "cache at \(Format.grouped(paperContext))", "memory limit",
                  "time limit"], rows)
        nb.check("the counted cache shrinks with h_kv and attention's multiply–adds do not", scales,
                 "16, 4, 2, 1 key/value heads")
        nb.prose("""
            With 4 key/value heads the cache at 8k is a quarter, and the RetNet's advantage in
            memory at large batch falls from 32× to 8×; with one it is at or below parity in time.
            The RetNet's constant state is still constant — but against a modern baseline, a fixed
            state of 128 MiB is not small. The rest of this section keeps the paper's baseline.
            """)
    }

    /// The paper's memory, throughput and latency ratios against the counts, and prefill.
    func thePapersNumbers(_ nb: Notebook, weightsModel: MemoryBoundDecoding, paperContext: Int) throws {
        nb.prose("""
            Now the paper's numbers — Fig. 1's 3.4× memory, 8.4× throughput and 15.6× latency at 8k
            tokens, with Fig. 6 giving the same three against length and batch — each against the
            memory ratio or the time ratio:
            """)
        let memory = MemoryBoundDecoding.a100.memoryBytes
        let largest = weightsModel.largestBatch(.transformer, fitting: memory)
        let atLargest = weightsModel.timeRatio(batch: largest)
        // Memory: 3.4× and "saves 70%".
        let bMemory = weightsModel.batchReaching(3.4)
        let threePercent = Int((0.03 / 0.97 * weightsModel.weightBytes / weightsModel.retentionStateBytes).rounded())
        let share = threePercent >= 1
            ? Double(threePercent) * weightsModel.retentionStateBytes / weightsModel.bytes(.retnet, batch: threePercent) : 0
        nb.say("memory 3.4×: reached from M = \(bMemory.map(String.init) ?? "none"); 3.4× less memory is 1 − 1/3.4 = "
               + "\(Format.fixed(100 * (1 - 1 / 3.4), 1))% saved (Sec. 1's \"70%\")",
               "the RetNet's state is \(Format.fixed(100 * share, 1))% of its memory (Sec. 3.4's \"about 3%\") at M = \(threePercent), "
               + "where the memory ratio is \(Format.ratio(weightsModel.ratio(batch: threePercent)))")
        if let b = bMemory {
            nb.check("3.4× memory needs a batch of \(b), which fits in 80 GB", weightsModel.bytes(.transformer, batch: b) <= memory,
                     "Transformer at M = \(b): \(Format.decimalBytes(weightsModel.bytes(.transformer, batch: b)))")
        }
        nb.check("at the batch where the state is ~3% of the RetNet's memory (Sec. 3.4) the memory ratio is below 3.4×",
                 weightsModel.ratio(batch: threePercent) < 3.4,
                 "M = \(threePercent): ratio \(Format.ratio(weightsModel.ratio(batch: threePercent)))")
        // Throughput 8.4× and latency 15.6×.
        let bThroughput = weightsModel.batchReachingTime(8.4)
        let bLatency = weightsModel.batchReachingTime(15.6)
        nb.say("largest Transformer batch in 80 GB: \(largest) (time ratio \(Format.ratio(atLargest))); 8.4× needs M = "
               + "\(bThroughput.map(String.init) ?? "none"); 15.6× needs M = \(bLatency.map(String.init) ?? "none") "
               + "(the time ratio's limit is \(Format.ratio(weightsModel.limitTimeRatio)))")
        nb.check("8.4× at equal batch needs more Transformer memory than 80 GB", bThroughput.map { $0 > largest } ?? true,
                 "M = \(bThroughput.map(String.init) ?? "none") > \(largest)")
        nb.check("15.6× is beyond any batch that fits", (bLatency.map { $0 > largest } ?? true) && atLargest < 15.6,
                 "time ratio at M = \(largest): \(Format.ratio(atLargest))")

        // Prefill: the 8k prompt read once, compute-bound, before the first decoded token.
        let shape = DecodingCost.paper6_7B
        let n = paperContext
        let weightsWork = Double(MemoryBoundDecoding.paper6_7BParameters) * Double(n)
        let heads = Double(shape.layers * shape.heads)
        let attention = heads * Double(n) * Double(n + 1) / 2 * Double(shape.keyDim + shape.transformerValueDim)
        let retention = heads * Double(try RetentionCost.chunkwise(length: n, keyDimension: shape.keyDim,
                                                                   valueDimension: shape.valueDim, chunkSize: 512).multiplyAdds)
        let prefillRatio = (weightsWork + attention) / (weightsWork + retention)
        let seconds = { (multiplyAdds: Double) in 2 * multiplyAdds / MemoryBoundDecoding.a100.fp16Flops }
        nb.prose("""
            Could the prompt explain the rest? Before the first token is decoded, both read the
            8,192-token prompt at once, a compute-bound pass: 6.7·10⁹ multiply–adds per token for the
            weights, then the Transformer's causal attention, L·h·n(n + 1)/2·(d_k + d_v,T), against
            the RetNet's chunkwise retention (chunks of 512, `RetentionCost.chunkwise`):
            """)
        nb.say("prefill at \(Format.grouped(n)) tokens: Transformer \(Format.scientific(weightsWork + attention, 2)) multiply–adds "
               + "(\(Format.fixed(seconds(weightsWork + attention), 2)) s at 312 TFLOP/s), RetNet "
               + "\(Format.scientific(weightsWork + retention, 2)) (\(Format.fixed(seconds(weightsWork + retention), 2)) s): "
               + "ratio \(Format.ratio(prefillRatio))")
        nb.check("prefill costs the Transformer less than 1.5× the RetNet's: it cannot make 15.6× either", prefillRatio < 1.5,
                 "\(Format.ratio(prefillRatio))")
        let noBatch = "no batch"
        nb.prose("""
            So the counts explain the memory figure: a batch of \(bMemory.map(String.init) ?? noBatch)
            sequences at 8k makes the Transformer hold 3.4× the RetNet's memory, and Sec. 1's "70%
            saved" is the same number. They do not explain the paper's two memory statements at one
            batch: where the RetNet's state is 3% of its memory (M = \(threePercent)), the Transformer
            holds only \(Format.ratio(weightsModel.ratio(batch: threePercent))) as much. For
            throughput and latency the counts give the Transformer
            \(Format.ratio(weightsModel.timeRatio(batch: 1))) the RetNet's time per step at batch 1
            and at most \(Format.ratio(atLargest)) at the largest batch whose caches fit in 80 GB
            (\(largest)); 8.4× at equal batch needs M = \(bThroughput.map(String.init) ?? noBatch),
            which does not fit. 8.4× throughput is reached if the RetNet runs a larger batch than the
            Transformer can hold, which its 128 MiB per sequence allows (the figure's right end) —
            the paper does not give its batches. 15.6× latency, near the time ratio's limit of
            \(Format.ratio(weightsModel.limitTimeRatio)) that no batch reaching it could hold, is not
            explained by moving weights and cache once per step, nor by the prompt's encoding (at
            most \(Format.ratio(prefillRatio))); what else the measured latency includes (copies of a
            growing cache, a framework's overheads) the paper does not say, and this model does not guess.
            """)
    }
}
