import ChapterSupport
import DecodingCosts
import Matrices
import Notebook
import RetNetModel
import Transformer

extension Chapter09 {
    /// The analytic counts: bytes read, written and multiply–adds per decoded token for the
    /// benchmark shape, the context where the cache passes the weights, flops per byte against the
    /// batch, and the two ratios (memory held, bytes moved) — the second against the dated record
    /// of a measurement.
    func whatAStepCosts(_ nb: Notebook) throws {
        nb.section("What a step reads, writes and computes")
        nb.prose("""
            A decoding step of a batch of M sequences (M, not B: B is the chunk size, the paper's
            letter, from chapter 05 on) reads every weight once — the batch shares them — and each
            sequence's own state or cache; only the M embedding rows of the tokens are read, not the
            table. Then it writes back what changed: S ← γS + kᵀv rewrites every element of the
            RetNet's state, while the Transformer appends one row of keys and values to its cache. It
            does one multiply–add per weight per token, and the token mixing: per head a retention
            step does 3·d_k·d_v (S ← γS + kᵀv, o = qS), attention (n + 1)·(d_k + d_v) (one query
            against n + 1 keys, then the weighted sum of n + 1 values). Norms, rotations,
            exponentials and activations are O(E + V + F) per layer and not counted. Per token,
            with W the weight bytes, the bytes moved (read + written) are:
            """)
        nb.equation("RetNet: W/M + 2·L·h·d_k·d_v·s bytes,   Transformer: W/M + L·(n + 1)·(E + V)·s bytes",
                    latex: #"\text{RetNet: } \frac{W}{M} + 2 L h d_k d_v s, \qquad \text{Transformer: } \frac{W}{M} + L (n + 1) (E + V) s \ \text{bytes per token}"#)
        nb.prose("""
            Applied to the shape the project's benchmarks decode — torchscale's variant, L = 6,
            E = 512, V = 1024, h = 4 (d_k = 128, d_v = 256), FFN 1024, vocabulary 256, against its
            matched Transformer — in Float (s = 4), at batch 1:
            """)
        let bench = DecodingCost.benchmarkShape
        let benchTransformer = TransformerConfig(matching: bench)
        let contexts = Array(Set([128, 512, 2_048, 8_192, context])).sorted()
        var rows: [[String]] = []
        for n in contexts {
            let r = try DecodingCost.retnet(bench, context: n, batch: 1, elementBytes: 4)
            let t = try DecodingCost.transformer(benchTransformer, context: n, batch: 1, elementBytes: 4)
            rows.append([Format.grouped(n), Format.decimalBytes(r.bytesReadPerToken, 2), Format.decimalBytes(r.bytesMovedPerToken, 2),
                         Format.decimalBytes(t.bytesReadPerToken, 2), Format.decimalBytes(t.bytesMovedPerToken, 2),
                         Format.ratio(t.bytesMovedPerToken / r.bytesMovedPerToken),
                         Format.fixed(Double(r.multiplyAddsPerToken) / 1e6, 1) + " M",
                         Format.fixed(Double(t.multiplyAddsPerToken) / 1e6, 1) + " M"])
        }
        nb.table(["context n", "RetNet reads", "RetNet moves", "Transformer reads", "Transformer moves", "ratio moved",
                  "RetNet mult–adds", "Transformer mult–adds"], rows)
        let benchBreakEven = try DecodingCost.breakEvenContext(keyDim: bench.keyDim, valueDim: bench.headDim)
        let r8k = try DecodingCost.retnet(bench, context: 8_192, batch: 1, elementBytes: 4)
        let t0 = try DecodingCost.transformer(benchTransformer, context: 0, batch: 1, elementBytes: 4)
        let perToken = try DecodingCost.transformer(benchTransformer, context: 1, batch: 1, elementBytes: 4).stateBytes
        let weightsBreakEven = t0.weightBytesRead / perToken + 1
        nb.prose("""
            The RetNet's row is the same at every n. The Transformer's cache passes the RetNet's
            state at n* = \(benchBreakEven) tokens here. A second break-even comes later: the cache
            passes the weights themselves at
            """)
        nb.equation("n_W = ⌊W / (L·(E + V)·s)⌋ + 1",
                    latex: #"n_W = \left\lfloor \frac{W}{L \, (E + V) \, s} \right\rfloor + 1"#)
        nb.prose("""
            tokens. Past n_W most of a Transformer's step is its own cache, which no other sequence
            shares: batching, which shares only the weights, stops paying for it.
            """)
        let scannedW = try (1...100_000).first { n throws(TransformerError) in
            let t = try DecodingCost.transformer(benchTransformer, context: n, batch: 1, elementBytes: 4)
            return t.stateBytesRead > t.weightBytesRead
        }
        nb.check("n_W = \(Format.grouped(weightsBreakEven)) is the first n whose counted cache outweighs the weights",
                 scannedW == weightsBreakEven,
                 "formula \(Format.grouped(weightsBreakEven)), first n \(scannedW.map(Format.grouped) ?? "none up to 100,000"); "
                    + "weights \(Format.decimalBytes(Double(t0.weightBytesRead)))")
        nb.say("the RetNet's step moves \(Format.grouped(r8k.bytesMovedPerStep)) bytes at every n (its state's shape does not "
               + "depend on n: a fact of the counts, whose state bytes were checked above against what the model holds)")

        nb.section("Why decoding is bound by memory")
        nb.prose("""
            Each weight read at batch 1 is used for one multiply–add (two flops); each cached key or
            value element for one; each state element, read and written, for three. So a step does
            at most 6/s flops per byte it moves — 1.5 in Float, 3 in fp16 (this follows from the
            counting rules above; it is not a measurement). A machine that can do far more flops per
            byte it can move (an A100: \(Format.fixed(MemoryBoundDecoding.a100.fp16Flops / 1e12, 0)) TFLOP/s of fp16 against
            \(Format.grouped(Int(MemoryBoundDecoding.a100.bandwidth / 1e9))) GB/s,
            \(Format.fixed(MemoryBoundDecoding.a100.fp16Flops / MemoryBoundDecoding.a100.bandwidth, 0)) flops per byte) waits
            on memory: a step lasts about (bytes moved)/(bandwidth). Batching
            shares the weights, so the RetNet's flops per byte grow with M; the Transformer's cache
            is not shared, so at long contexts its flops per byte stay where they were:
            """)
        func flopsPerByte(_ cost: DecodingCost) -> Double {
            2 * Double(cost.multiplyAddsPerToken) / cost.bytesMovedPerToken
        }
        var intensity: [[String]] = []
        for b in [1, 8, 64] {
            let r = try DecodingCost.retnet(bench, context: context, batch: b, elementBytes: 4)
            let t = try DecodingCost.transformer(benchTransformer, context: context, batch: b, elementBytes: 4)
            intensity.append([String(b), Format.fixed(flopsPerByte(r), 2), Format.fixed(flopsPerByte(t), 2)])
        }
        nb.table(["batch M (n = \(Format.grouped(context)))", "RetNet flops/byte", "Transformer flops/byte"], intensity)
        let t64 = try DecodingCost.transformer(benchTransformer, context: 8_192, batch: 64, elementBytes: 4)
        let t1 = try DecodingCost.transformer(benchTransformer, context: 8_192, batch: 1, elementBytes: 4)
        let r64 = try DecodingCost.retnet(bench, context: 8_192, batch: 64, elementBytes: 4)
        nb.check("at n = 8,192 even batch 64 leaves the Transformer below one flop per byte", flopsPerByte(t64) < 1,
                 "\(Format.fixed(flopsPerByte(t64), 3)) flops/byte")
        nb.check("at n = 8,192, batch 64 multiplies the RetNet's flops per byte more than fivefold, the Transformer's by under 1.5×",
                 flopsPerByte(r64) / flopsPerByte(r8k) > 5 && flopsPerByte(t64) / flopsPerByte(t1) < 1.5,
                 "RetNet ×\(Format.fixed(flopsPerByte(r64) / flopsPerByte(r8k), 1)), "
                    + "Transformer ×\(Format.fixed(flopsPerByte(t64) / flopsPerByte(t1), 2))")

        nb.prose("""
            Memory held and time taken are now two ratios. Between steps, memory holds W + M·state;
            a step moves W + M·(state read + state written). The Transformer's over the RetNet's, at
            equal batch M:
            """)
        nb.equation("memory(M) = (W + M·cache(n)) / (W + M·state) → cache/state;   time(M) = (W + M·(cache(n) + row)) / (W + 2M·state) → (cache + row)/(2·state)",
                    latex: #"\text{memory}(M) = \frac{W + M\,\text{cache}(n)}{W + M\,\text{state}} \to \frac{\text{cache}}{\text{state}}, \qquad \text{time}(M) = \frac{W + M\,(\text{cache}(n) + \text{row})}{W + 2M\,\text{state}} \to \frac{\text{cache} + \text{row}}{2\,\text{state}}"#)
        nb.prose("""
            Latency per token and the inverse of throughput follow the time ratio; its limit as M
            grows is half the memory ratio's, since the RetNet writes its whole state back every step.
            """)
        let benchModel = try MemoryBoundDecoding(bench, context: context, elementBytes: 4)
        nb.say("benchmark shape, n = \(Format.grouped(context)): memory(1) = \(Format.ratio(benchModel.ratio(batch: 1))), "
               + "memory(\(batch)) = \(Format.ratio(benchModel.ratio(batch: batch))), limit \(Format.ratio(benchModel.limitRatio)); "
               + "time(1) = \(Format.ratio(benchModel.timeRatio(batch: 1))), time(\(batch)) = "
               + "\(Format.ratio(benchModel.timeRatio(batch: batch))), limit \(Format.ratio(benchModel.limitTimeRatio))")
        try againstTheRecord(nb, bench: bench, benchTransformer: benchTransformer)
    }

    /// The time ratios at batch 1 against the ones a clock gave (`DecodeRecord`): every measured
    /// ratio must lie between the two counts, widened by the run's own noise.
    func againstTheRecord(_ nb: Notebook, bench: RetNetConfig, benchTransformer: TransformerConfig) throws {
        nb.prose("""
            Does the write-back show on a clock? The dated record in the last section timed the fast
            decoders of this shape at batch 1, contexts 128 … 8,192; set each measured ratio of the
            Transformer's time to the RetNet's beside the two counts:
            """)
        let record = DecodeRecord.zen4
        func ratios(_ n: Int) throws -> (read: Double, moved: Double) {
            let r = try DecodingCost.retnet(bench, context: n, batch: 1, elementBytes: 4)
            let t = try DecodingCost.transformer(benchTransformer, context: n, batch: 1, elementBytes: 4)
            return (Double(t.bytesReadPerStep) / Double(r.bytesReadPerStep), Double(t.bytesMovedPerStep) / Double(r.bytesMovedPerStep))
        }
        let at = try ratios(record.context)
        let stateBytes = try DecodingCost.retnet(bench, context: 0, batch: 1, elementBytes: 4).stateBytes
        // The RetNet's counted bytes are the same at every context, so the spread of its measured
        // times over the contexts is this run's noise.
        let times = record.latency.map(\.retnet)
        let noise = (times.max() ?? 1) / (times.min() ?? 1) - 1
        var outside: [String] = []
        var nearerRead = 0
        for row in record.latency {
            let counted = try ratios(row.n)
            let measured = row.transformer / row.retnet
            if row.n != record.context && abs(counted.read - measured) < abs(counted.moved - measured) { nearerRead += 1 }
            if measured < counted.moved / (1 + noise) || measured > counted.read * (1 + noise) {
                outside.append("n = \(row.n): \(Format.ratio(measured))")
            }
        }
        nb.prose("""
            At \(Format.grouped(record.context)) tokens the Transformer's step took \(Format.ratio(record.ratio)) the
            RetNet's; reads alone predict \(Format.ratio(at.read)), reads and writes \(Format.ratio(at.moved)). But
            at \(nearerRead) of the \(record.latency.count - 1) shorter contexts the measured ratio sits nearer
            the bytes-read count (the table in the last section). The run's own noise is large: the
            RetNet's counted bytes are the same at every context, yet its measured times vary by
            \(Format.fixed(100 * noise, 0))% between them. And this shape's whole state,
            \(Format.decimalBytes(Double(stateBytes))), fits in the CPU's caches, so its write-back need not
            reach memory at all; the 6.7B model's 128 MiB per sequence cannot stay there. What the
            record supports is that every measured ratio lies between the two counts, within that noise:
            """)
        nb.check("every measured ratio of the record lies in [moved/(1 + noise), read·(1 + noise)], noise = "
                 + "\(Format.fixed(100 * noise, 0))%", outside.isEmpty,
                 outside.isEmpty ? "\(record.latency.count) contexts; at \(Format.grouped(record.context)): measured "
                    + "\(Format.ratio(record.ratio)), moved \(Format.ratio(at.moved)), read \(Format.ratio(at.read))"
                    : "outside: " + outside.joined(separator: ", "))
    }
}
