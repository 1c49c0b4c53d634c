import ChapterSupport
import DecodingCosts
import Matrices
import Notebook
import RetNetModel
import Transformer

extension Chapter09 {
    /// The analytic counts: bytes read and multiply–adds per decoded token for the benchmark shape,
    /// flops per byte against the batch, and the ratio of bytes per step (W + B·state) it implies.
    func whatAStepCosts(_ nb: Notebook) throws {
        nb.section("What a step reads and computes")
        nb.prose("""
            A decoding step of B sequences reads every weight once — the batch shares them — and each
            sequence's own state or cache; only the B embedding rows of the tokens are read, not the
            table. It does one multiply–add per weight per token, and the token mixing: per head a
            retention step does 3·d_k·d_v (S ← γS + kᵀv, o = qS), attention (n + 1)·(d_k + d_v) (one
            query against n + 1 keys, then the weighted sum of n + 1 values). Norms, rotations,
            exponentials and activations are O(E + V + F) per layer and not counted. Per token,
            with W the weight bytes:
            """)
        nb.equation("RetNet: W/B + L·h·d_k·d_v·s bytes,   Transformer: W/B + L·n·(E + V)·s bytes",
                    latex: #"\text{RetNet: } \frac{W}{B} + L h d_k d_v s, \qquad \text{Transformer: } \frac{W}{B} + L n (E + V) s \ \text{bytes per token}"#)
        nb.prose("""
            Applied to the shape the project's benchmarks decode — torchscale's variant, L = 6,
            E = 512, V = 1024, h = 4 (d_k = 128, d_v = 256), FFN 1024, vocabulary 256 — in Float
            (s = 4), at batch 1:
            """)
        let bench = DecodingCost.benchmarkShape
        let benchTransformer = TransformerConfig(matching: bench)
        let contexts = Array(Set([128, 512, 2_048, 8_192, context])).sorted()
        var rows: [[String]] = []
        for n in contexts {
            let r = try DecodingCost.retnet(bench, context: n, batch: 1, elementBytes: 4)
            let t = try DecodingCost.transformer(benchTransformer, context: n, batch: 1, elementBytes: 4)
            rows.append([Format.grouped(n), Format.decimalBytes(r.bytesReadPerToken, 2), Format.decimalBytes(t.bytesReadPerToken, 2),
                         Format.ratio(t.bytesReadPerToken / r.bytesReadPerToken),
                         Format.fixed(Double(r.multiplyAddsPerToken) / 1e6, 1) + " M",
                         Format.fixed(Double(t.multiplyAddsPerToken) / 1e6, 1) + " M"])
        }
        nb.table(["context n", "RetNet reads", "Transformer reads", "ratio", "RetNet mult–adds", "Transformer mult–adds"], rows)
        let benchBreakEven = try DecodingCost.breakEvenContext(keyDim: bench.keyDim, valueDim: bench.headDim)
        nb.prose("""
            The RetNet's row is the same at every n. The Transformer's cache passes the RetNet's
            state at n* = \(benchBreakEven) tokens here; the cache's bytes per token then grow until,
            at 8,192 tokens, the cache outweighs the weights themselves.
            """)
        let r8k = try DecodingCost.retnet(bench, context: 8_192, batch: 1, elementBytes: 4)
        let t8k = try DecodingCost.transformer(benchTransformer, context: 8_192, batch: 1, elementBytes: 4)
        nb.check("at n = 8,192 the Transformer's cache outweighs its weights", t8k.stateBytesRead > t8k.weightBytesRead,
                 "\(Format.decimalBytes(Double(t8k.stateBytesRead))) cache, \(Format.decimalBytes(Double(t8k.weightBytesRead))) weights")
        nb.check("the RetNet reads the same bytes at n = 128 and n = 8,192",
                 try DecodingCost.retnet(bench, context: 128, batch: 1, elementBytes: 4).bytesReadPerStep == r8k.bytesReadPerStep,
                 "\(Format.grouped(r8k.bytesReadPerStep)) bytes per step")

        nb.section("Why decoding is bound by memory")
        nb.prose("""
            Each weight read at batch 1 is used for one multiply–add (two flops); each cached key or
            value element for one; each state element for three. So a step does at most 6/s flops per
            byte it reads — 1.5 in Float, 3 in fp16. A machine that can do far more flops per byte it
            can read (an A100: \(Format.fixed(MemoryBoundDecoding.a100.fp16Flops / 1e12, 0)) TFLOP/s of fp16 against
            \(Format.grouped(Int(MemoryBoundDecoding.a100.bandwidth / 1e9))) GB/s,
            \(Format.fixed(MemoryBoundDecoding.a100.fp16Flops / MemoryBoundDecoding.a100.bandwidth, 0)) flops per byte) waits
            on memory: a step lasts about (bytes read)/(bandwidth). Batching
            shares the weights, so the RetNet's flops per byte grow with B; the Transformer's cache
            is not shared, so at long contexts its flops per byte stay where they were:
            """)
        func flopsPerByte(_ cost: DecodingCost) -> Double {
            2 * Double(cost.multiplyAddsPerToken) / cost.bytesReadPerToken
        }
        var intensity: [[String]] = []
        var worst = 0.0
        for b in [1, 8, 64] {
            let r = try DecodingCost.retnet(bench, context: context, batch: b, elementBytes: 4)
            let t = try DecodingCost.transformer(benchTransformer, context: context, batch: b, elementBytes: 4)
            if b == 1 { worst = max(flopsPerByte(r), flopsPerByte(t)) }
            intensity.append([String(b), Format.fixed(flopsPerByte(r), 2), Format.fixed(flopsPerByte(t), 2)])
        }
        nb.table(["batch B (n = \(Format.grouped(context)))", "RetNet flops/byte", "Transformer flops/byte"], intensity)
        nb.check("at batch 1 both do at most 6/s = 1.5 flops per byte read (Float)", worst <= 1.5,
                 "largest \(Format.fixed(worst, 3))")
        let t64 = try DecodingCost.transformer(benchTransformer, context: 8_192, batch: 64, elementBytes: 4)
        let t1 = try DecodingCost.transformer(benchTransformer, context: 8_192, batch: 1, elementBytes: 4)
        let r64 = try DecodingCost.retnet(bench, context: 8_192, batch: 64, elementBytes: 4)
        nb.check("at n = 8,192 even batch 64 leaves the Transformer below one flop per byte", flopsPerByte(t64) < 1,
                 "\(Format.fixed(flopsPerByte(t64), 3)) flops/byte")
        nb.check("at n = 8,192, batch 64 multiplies the RetNet's flops per byte more than tenfold, the Transformer's by under 1.5×",
                 flopsPerByte(r64) / flopsPerByte(r8k) > 10 && flopsPerByte(t64) / flopsPerByte(t1) < 1.5,
                 "RetNet ×\(Format.fixed(flopsPerByte(r64) / flopsPerByte(r8k), 1)), "
                    + "Transformer ×\(Format.fixed(flopsPerByte(t64) / flopsPerByte(t1), 2))")

        nb.prose("""
            Time per step is then proportional to bytes per step, W + B·state: the Transformer's
            over the RetNet's is at once its memory, its latency per token and the inverse of its
            throughput, at equal batch B:
            """)
        nb.equation("ratio(B) = (W + B·cache(n)) / (W + B·state)  →  cache(n)/state as B grows",
                    latex: #"\text{ratio}(B) = \frac{W + B \cdot \text{cache}(n)}{W + B \cdot \text{state}} \;\longrightarrow\; \frac{\text{cache}(n)}{\text{state}} \quad (B \to \infty)"#)
        let benchModel = try MemoryBoundDecoding(bench, context: context, elementBytes: 4)
        let direct = try DecodingCost.transformer(benchTransformer, context: context, batch: batch, elementBytes: 4)
            .bytesReadPerToken / DecodingCost.retnet(bench, context: context, batch: batch, elementBytes: 4).bytesReadPerToken
        nb.say("benchmark shape, n = \(Format.grouped(context)): ratio(1) = \(Format.ratio(benchModel.ratio(batch: 1))), "
               + "ratio(\(batch)) = \(Format.ratio(benchModel.ratio(batch: batch))), limit \(Format.ratio(benchModel.limitRatio))")
        nb.check("ratio(\(batch)) from W + B·state = ratio of DecodingCost's bytes per token (B − 1 embedding rows apart)",
                 benchModel.ratio(batch: batch), direct, tolerance: .relative(1e-3))
    }
}
