import ChapterSupport
import DecodingCosts
import Matrices
import Notebook
import RetNetModel
import Transformer

extension Chapter09 {
    /// The counts applied to the paper's 6.7B model at 8,192 tokens on an A100-80GB, and each of
    /// the paper's inference numbers against them.
    func paperScale(_ nb: Notebook) throws {
        nb.section("The paper's 6.7B model")
        let shape = DecodingCost.paper6_7B
        // The paper's numbers are at 8k tokens: this section stays there whatever --context says.
        let paperContext = 8_192
        nb.prose("""
            The paper's 6.7B RetNet has hidden size E = \(Format.grouped(shape.heads * shape.keyDim)), \(shape.layers) layers
            and \(shape.heads) heads, V = 2E, so d_k = \(shape.keyDim) and d_v = \(shape.valueDim), in fp16
            (s = \(shape.elementBytes)); its Transformer keeps for every token a key of E and a value of V elements per
            layer. Per sequence:
            """)
        let at1 = try DecodingCost.paper6_7B(context: 1)
        let atN = try DecodingCost.paper6_7B(context: paperContext)
        let weightsModel = try MemoryBoundDecoding.paper6_7B(context: paperContext)
        // The layers' weights from the counts: the paper's variant with V = 2E and FFN 2E, a one-token vocabulary.
        let layersOnly = RetNetConfig(variant: .paper, embedDim: 4_096, valueEmbedDim: 8_192, retentionHeads: shape.heads,
                                      ffnEmbedDim: 8_192, layers: shape.layers, vocabSize: 1)
        let layerWeights = Double(try DecodingCost.retnet(layersOnly, context: 0, batch: 1, elementBytes: 1).weightBytesRead)
        nb.table(["", "value"], [
            ["RetNet state, L·h·d_k·d_v·s (any n)", Format.binaryBytes(Double(at1.retentionStateBytes))],
            ["KV cache per token, L·(E + V)·s", Format.binaryBytes(Double(at1.kvCacheBytes))],
            ["break-even n*", Format.grouped(at1.breakEvenContext)],
            ["KV cache at n = \(Format.grouped(paperContext))", Format.binaryBytes(Double(atN.kvCacheBytes))],
            ["cache / state at n = \(Format.grouped(paperContext))", Format.ratio(weightsModel.limitRatio)],
            ["weights W: 6.7·10⁹ × 2 bytes", Format.decimalBytes(weightsModel.weightBytes)],
        ])
        nb.check("the state is 128 MiB", at1.retentionStateBytes == 128 << 20, Format.binaryBytes(Double(at1.retentionStateBytes)))
        nb.check("the cache grows by 768 KiB per token", at1.kvCacheBytes == 768 << 10, Format.binaryBytes(Double(at1.kvCacheBytes)))
        let scanned = try (0...1_000).first { n throws(TransformerError) in
            try DecodingCost.paper6_7B(context: n).kvCacheBytes > at1.retentionStateBytes
        }
        nb.check("n* = ⌊256·512/768⌋ + 1 = 171 is the first n whose counted cache passes the state",
                 at1.breakEvenContext == 171 && scanned == 171, "formula \(at1.breakEvenContext), first n \(scanned.map(String.init) ?? "none")")
        nb.check("the 32 layers (12E² weights each with V = 2E and FFN 2E) hold 90–100% of the 6.7·10⁹",
                 layerWeights / 6.7e9 > 0.9 && layerWeights / 6.7e9 <= 1,
                 "\(Format.fixed(layerWeights / 1e9, 3))·10⁹ = \(Format.fixed(100 * layerWeights / 6.7e9, 1))%; the rest is embeddings")

        let (memory, bandwidth) = (MemoryBoundDecoding.a100.memoryBytes, MemoryBoundDecoding.a100.bandwidth)
        nb.prose("""
            Decoding at n = \(Format.grouped(paperContext)) on the paper's GPU, an A100 with 80 GB and
            (data sheet) 2,039 GB/s, memory-bound: both models hold and read W + B·state per step.
            """)
        var gpuRows: [[String]] = []
        let batches = Array(Set([1, 2, 4, 8, 16, 32, batch])).sorted()
        for b in batches {
            let fits = weightsModel.bytes(.transformer, batch: b) <= memory
            gpuRows.append([String(b), Format.decimalBytes(weightsModel.bytes(.retnet, batch: b)), Format.decimalBytes(weightsModel.bytes(.transformer, batch: b))
                            + (fits ? "" : " (> 80 GB)"),
                         Format.fixed(weightsModel.tokensPerSecond(.retnet, batch: b, bandwidth: bandwidth), 0),
                         Format.fixed(weightsModel.tokensPerSecond(.transformer, batch: b, bandwidth: bandwidth), 0),
                         Format.ratio(weightsModel.ratio(batch: b))])
        }
        nb.table(["B", "RetNet memory", "Transformer memory", "RetNet tokens/s", "Transformer tokens/s", "ratio"], gpuRows)

        nb.prose("Now the paper's numbers, each against the ratio (W + B·cache)/(W + B·state):")
        let largest = weightsModel.largestBatch(.transformer, fitting: memory)
        let atLargest = weightsModel.ratio(batch: largest)
        // Memory: 3.4× and "saves 70%".
        let bMemory = weightsModel.batchReaching(3.4)
        let threePercent = Int((0.03 / 0.97 * weightsModel.weightBytes / weightsModel.retentionStateBytes).rounded())
        let share = threePercent >= 1
            ? Double(threePercent) * weightsModel.retentionStateBytes / weightsModel.bytes(.retnet, batch: threePercent) : 0
        nb.say("memory 3.4×: reached from B = \(bMemory.map(String.init) ?? "none"); the RetNet's state is 3% of its memory at "
               + "B = \(threePercent), where the ratio is \(Format.ratio(weightsModel.ratio(batch: threePercent)))")
        nb.check("3.4× less memory is 1 − 1/3.4 = 71% saved (the abstract's \"70%\")", abs((1 - 1 / 3.4) - 0.70) < 0.01,
                 "\(Format.fixed(100 * (1 - 1 / 3.4), 1))%")
        if let b = bMemory {
            nb.check("3.4× memory needs a batch of \(b), which fits in 80 GB", weightsModel.bytes(.transformer, batch: b) <= memory,
                     "Transformer at B = \(b): \(Format.decimalBytes(weightsModel.bytes(.transformer, batch: b)))")
        }
        nb.check("at the batch where the state is ~3% of memory (Sec. 3.4) the ratio is below 3.4×",
                 weightsModel.ratio(batch: threePercent) < 3.4 && abs(share - 0.03) < 0.01,
                 "B = \(threePercent): state \(Format.fixed(100 * share, 1))% of the RetNet's memory, ratio \(Format.ratio(weightsModel.ratio(batch: threePercent)))")
        // Throughput 8.4× and latency 15.6×.
        let bThroughput = weightsModel.batchReaching(8.4)
        let bLatency = weightsModel.batchReaching(15.6)
        nb.say("largest Transformer batch in 80 GB: \(largest) (ratio \(Format.ratio(atLargest))); 8.4× needs B = "
               + "\(bThroughput.map(String.init) ?? "none"); 15.6× needs B = \(bLatency.map(String.init) ?? "none")")
        nb.check("8.4× at equal batch needs more Transformer memory than 80 GB", bThroughput.map { $0 > largest } ?? true,
                 "B = \(bThroughput.map(String.init) ?? "none") > \(largest)")
        nb.check("15.6× is beyond any batch that fits", bLatency.map { $0 > largest } ?? true && atLargest < 15.6,
                 "ratio at B = \(largest): \(Format.ratio(atLargest))")
        let noBatch = "no batch"
        nb.prose("""
            So the counts explain the memory figure: a batch of \(bMemory.map(String.init) ?? noBatch)
            sequences at 8k makes the Transformer hold 3.4× the RetNet's memory, and "70% saved" is
            the same number. They do not explain the paper's two memory statements at one batch:
            where the RetNet's state is 3% of its memory (B = \(threePercent)), the Transformer holds
            only \(Format.ratio(weightsModel.ratio(batch: threePercent))) as much. For throughput and
            latency the counts give the Transformer \(Format.ratio(weightsModel.ratio(batch: 1))) the
            RetNet's bytes per step at batch 1 and at most \(Format.ratio(atLargest)) at the largest batch
            whose caches fit in 80 GB (\(largest)); 8.4× at equal batch needs
            B = \(bThroughput.map(String.init) ?? noBatch), which does not fit. 8.4× throughput is reached if the RetNet runs a larger batch than the
            Transformer can hold, which its 128 MiB per sequence allows (the figure's right end) —
            the paper does not give its batches. 15.6× latency, beyond the bytes ratio at any batch
            that fits, is not explained by reading weights and cache once per step; what else the
            measured latency includes (the prompt's encoding, copies of a growing cache) the paper
            does not say, and this model does not guess.
            """)
    }
}
