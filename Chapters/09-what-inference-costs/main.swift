import ArgumentParser
import ChapterSupport
import Matrices
import Notebook
import RetNetModel
import Transformer

struct Chapter09: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chapter09",
        abstract: "09 — What inference costs: a RetNet's state against a Transformer's KV cache, counted from the shapes, applied to the paper's 6.7B model.",
        discussion: """
            The checks run on a small model in Double (the size flags); the cost model is then applied to the \
            benchmark shape at --context tokens and --batch sequences, and to the paper's 6.7B configuration at 8,192 tokens. Timings: \
            swift run -c release chapter09 --measure (terminal and Figures/*-measured.svg, never the page).
            """)

    @Option(help: "L: blocks of the small checked models (1…4).")
    var layers = 2

    @Option(help: "E: width of the small models (2…64); E/h must be even (rotations act on pairs).")
    var embedDim = 16

    @Option(help: "h: heads of the small models (1…8, dividing E and V).")
    var heads = 2

    @Option(help: "V: value width of the small models (1…128, a multiple of h).")
    var valueDim = 32

    @Option(help: "F: FFN width of the small RetNet (1…128).")
    var ffnDim = 32

    @Option(help: "Vocabulary of the small models (2…64).")
    var vocab = 13

    @Option(help: "n: tokens the small models read in the checks (1…64).")
    var length = 24

    @Option(help: "Context n at which the benchmark shape is compared (1…\(Self.maximumContext)); the 6.7B model stays at the paper's 8,192.")
    var context = 8_192

    @Option(help: "B: sequences decoded together in the comparison (1…\(Self.maximumBatch)).")
    var batch = 8

    @Option(help: "Seed of the small models' weights and tokens.")
    var seed: UInt64 = 9

    @Flag(help: "Time both fast decoders (release builds only): latency against context, tokens/s against batch; writes Figures/decode-*-measured.svg.")
    var measure = false

    @Option(help: "Threads of the RetNet's fast decoder when measuring, 1...64 (the Transformer's decoding step runs on one).")
    var threads = 1

    @Option(help: "The fixed context of the measured batch sweep (128…4096).")
    var measureContext = 1_024

    @OptionGroup var page: PageOptions

    static let maximumContext = 1 << 20
    static let maximumBatch = 1_024

    func validate() throws {
        guard (1...4).contains(layers) else { throw ValidationError("--layers must be in 1...4 (a checked reference model), got \(layers).") }
        guard (1...8).contains(heads) else { throw ValidationError("--heads must be in 1...8, got \(heads).") }
        guard (2...64).contains(embedDim), embedDim % heads == 0, (embedDim / heads) % 2 == 0 else {
            throw ValidationError("--embed-dim must be in 2...64 with E/h even (rotations act on pairs), got E = \(embedDim), h = \(heads).")
        }
        guard (1...128).contains(valueDim), valueDim % heads == 0 else {
            throw ValidationError("--value-dim must be in 1...128 and a multiple of --heads = \(heads), got \(valueDim).")
        }
        guard (1...128).contains(ffnDim) else { throw ValidationError("--ffn-dim must be in 1...128, got \(ffnDim).") }
        guard (2...64).contains(vocab) else { throw ValidationError("--vocab must be in 2...64, got \(vocab).") }
        try FlagCheck.length(length, reason: "")
        guard length <= 64 else { throw ValidationError("--length must be in 1...64 (the reference models run in Double), got \(length).") }
        guard (1...Self.maximumContext).contains(context) else {
            throw ValidationError("--context must be in 1...\(Self.maximumContext), got \(context).")
        }
        guard (1...Self.maximumBatch).contains(batch) else {
            throw ValidationError("--batch must be in 1...\(Self.maximumBatch) (a batch of 0 decodes nothing), got \(batch).")
        }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be in 1...64, got \(threads).") }
        guard (128...4_096).contains(measureContext) else {
            throw ValidationError("--measure-context must be in 128...4096 (16 Transformer caches of up to 151 MB each), "
                                  + "got \(measureContext).")
        }
        if measure {
            guard !page.markdown && !page.writePage else {
                throw ValidationError("--measure prints timings to the terminal and writes measured figures; it cannot go on a page.")
            }
            #if DEBUG
            throw ValidationError("--measure times the fast decoders and means something only in a release build: swift run -c release chapter09 --measure")
            #endif
        }
    }

    func run() throws {
        let nb = Notebook(title: "09 — What inference costs", command: "chapter09", options: page)
        try narrate(nb)
        try nb.finish()
    }

    /// Bytes as the nearest binary unit with up to two decimals ("128 MiB", "1.5 KiB").
    func binary(_ bytes: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = bytes, unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        var text = Format.fixed(value, 2)
        while text.hasSuffix("0") && text.contains(".") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return "\(text) \(units[unit])"
    }

    /// Bytes in decimal gigabytes (or megabytes below one), `digits` decimals.
    func decimal(_ bytes: Double, _ digits: Int = 1) -> String {
        bytes >= 1e9 ? Format.fixed(bytes / 1e9, digits) + " GB" : Format.fixed(bytes / 1e6, digits) + " MB"
    }

    func ratio(_ x: Double) -> String { Format.fixed(x, 2) + "×" }

    func narrate(_ nb: Notebook) throws {
        nb.prose("""
            The paper's headline is about inference: for a 7B model at 8k tokens, RetNet decodes
            8.4× faster than a Transformer with a key–value cache and saves 70% of the memory
            (Fig. 1 adds 3.4× memory and 15.6× latency). This chapter derives where such numbers can
            come from, with nothing but the shapes: what each model keeps per sequence, and what one
            decoding step must read and compute. Every count is checked against what the reference
            models actually hold, then applied to the benchmark shape and to the paper's 6.7B model,
            saying which of its numbers the counts explain and which they do not.
            """)

        nb.section("Two decoders of one shape")
        nb.prose("""
            The Transformer is built from the RetNet's configuration (`TransformerConfig(matching:)`):
            the same width E, layers L, heads h, Q/K head width d_k = E/h and V head width
            d_v = V/h, the same norms, FFN kind and rotary positions. Retention's gate W_G (E·V
            weights) has no counterpart in attention; its weights widen the FFN instead (F′ = F + V/3
            for torchscale's GLU FFN, rounded), so the two hold the same weights up to that rounding:
            |3·⌊(V + 1)/3⌋ − V| ≤ 1 hidden unit of 3E weights, at most E weights per layer.
            """)
        let retnetConfig = RetNetConfig(variant: .torchscale, embedDim: embedDim, valueEmbedDim: valueDim, retentionHeads: heads,
                                        ffnEmbedDim: ffnDim, layers: layers, vocabSize: vocab)
        let transformerConfig = TransformerConfig(matching: retnetConfig)
        let retnet = try RetNet<Double>.random(config: retnetConfig, seed: seed)
        let transformer = try Transformer<Double>.random(config: transformerConfig, seed: seed)
        let (dk, dv) = (retnetConfig.keyDim, retnetConfig.headDim)
        nb.say("L = \(layers), E = \(embedDim), h = \(heads), d_k = \(dk), V = \(valueDim), d_v = \(dv), F = \(ffnDim), "
               + "F′ = \(transformerConfig.ffnEmbedDim), vocabulary \(vocab)")
        nb.table(["model", "weights"], [["RetNet", Format.grouped(retnet.parameterCount)],
                                        ["Transformer", Format.grouped(transformer.parameterCount)]])
        let weightGap = abs(retnet.parameterCount - transformer.parameterCount)
        nb.check("the two hold the same weights up to F′'s rounding (≤ L·E)", weightGap <= layers * embedDim,
                 "|Δ| = \(weightGap) ≤ \(layers * embedDim)")

        nb.section("What a sequence keeps")
        nb.prose("""
            Between two steps, a RetNet keeps one d_k×d_v state S per head and layer (chapter 04):
            whatever the number of tokens n read so far, it holds
            """)
        nb.equation("state = L·h·d_k·d_v·s bytes",
                    latex: #"\text{state} = L \, h \, d_k \, d_v \, s \ \text{bytes}"#)
        nb.prose("""
            with s the bytes of an element. Softmax attention cannot fold its past into a fixed state
            (every new query weighs every earlier key afresh), so the Transformer keeps every token's
            rotated key (d_k per head) and value (d_v per head) in every layer — its KV cache:
            """)
        nb.equation("cache(n) = L·n·h·(d_k + d_v)·s = L·n·(E + V)·s bytes",
                    latex: #"\text{cache}(n) = L \, n \, h \, (d_k + d_v) \, s = L \, n \, (E + V) \, s \ \text{bytes}"#)
        nb.prose("""
            (for K and V of the same width this is the familiar 2·L·n·E·s.) `DecodingCost` counts
            both; here the counts meet the arrays the reference models hold after reading n tokens
            in Double (s = 8), and after three more decoded tokens:
            """)
        var rng = SplitMix64(seed: seed &+ 1)
        let tokens = (0..<length + 3).map { _ in Int(rng.next() % UInt64(vocab)) }
        let prompt = Array(tokens[..<length])
        let retnetPrefill = try retnet.prefill(prompt, form: .parallel)
        let transformerPrefill = try transformer.prefill(prompt)
        func held<E>(_ state: RetNetState<E>) -> Int { state.scalarCount * MemoryLayout<E>.size }
        func held<E>(_ cache: TransformerCache<E>) -> Int { cache.scalarCount * MemoryLayout<E>.size }
        let countedState = try DecodingCost.retnet(retnetConfig, context: length, batch: 1, elementBytes: 8).stateBytes
        let countedCache = try DecodingCost.transformer(transformerConfig, context: length, batch: 1, elementBytes: 8).stateBytes
        nb.check("counted state bytes = bytes of the RetNet's state after n = \(length)", countedState == held(retnetPrefill.state),
                 "\(Format.grouped(countedState)) counted, \(Format.grouped(held(retnetPrefill.state))) held")
        nb.check("counted cache bytes = bytes of the Transformer's cache after n = \(length)",
                 countedCache == held(transformerPrefill.cache),
                 "\(Format.grouped(countedCache)) counted, \(Format.grouped(held(transformerPrefill.cache))) held")

        nb.section("Decoding from what was kept gives the same outputs")
        nb.prose("""
            Both are exact: continuing from the state or from the cache must give, token by token,
            what reading the whole sequence at once gives. Three tokens are decoded after the prompt,
            and their logits compared with those of the full forward pass over all n + 3 tokens. The
            products and sums are the same, in another order, in Double: 1e-12 relative leaves
            room for rounding (about 1e-16 per operation) and none for a wrong position, mask or
            cache row.
            """)
        var state = retnetPrefill.state, cache = transformerPrefill.cache
        var retnetRows = retnetPrefill.logits, transformerRows = transformerPrefill.logits
        for token in tokens[length...] {
            let r = try retnet.step(token, state: state)
            let t = try transformer.step(token, cache: cache)
            (state, cache) = (r.state, t.cache)
            retnetRows = retnetRows.stacked(above: r.logits)
            transformerRows = transformerRows.stacked(above: t.logits)
        }
        nb.check("RetNet: prefill + 3 recurrent steps = parallel forward over n + 3", retnetRows,
                 try retnet.logits(tokens, form: .parallel), tolerance: .relative(1e-12))
        nb.check("Transformer: prefill + 3 cached steps = full causal forward over n + 3", transformerRows,
                 try transformer.forward(tokens), tolerance: .relative(1e-12))
        let perToken = layers * (embedDim + valueDim) * 8
        nb.check("the state did not grow: same bytes after n + 3", held(state) == held(retnetPrefill.state),
                 "\(Format.grouped(held(state))) bytes")
        nb.check("the cache grew by L·(E + V)·s = \(Format.grouped(perToken)) bytes per token",
                 held(cache) - held(transformerPrefill.cache) == 3 * perToken,
                 "grew \(Format.grouped(held(cache) - held(transformerPrefill.cache))) bytes in 3 tokens")

        nb.section("Where the cache passes the state")
        nb.prose("""
            The cache outgrows the state when L·n·h·(d_k + d_v) > L·h·d_k·d_v: L, h and s cancel, and
            """)
        nb.equation("n* = ⌊d_k·d_v / (d_k + d_v)⌋ + 1",
                    latex: #"n^{*} = \left\lfloor \frac{d_k \, d_v}{d_k + d_v} \right\rfloor + 1"#)
        nb.prose("""
            tokens — never more than the smaller of d_k and d_v. Decoding the small Transformer one token at
            a time from an empty cache, the first n at which its cache holds more bytes than the
            RetNet's state must be n*:
            """)
        let breakEven = try DecodingCost.breakEvenContext(keyDim: dk, valueDim: dv)
        let stateHeld = held(retnet.emptyState())
        var walking = transformer.emptyCache()
        var firstBeyond: Int? = nil
        var walkRng = SplitMix64(seed: seed &+ 2)
        for n in 0...(breakEven + 1) {
            if held(walking) > stateHeld {
                firstBeyond = n
                break
            }
            walking = try transformer.step(Int(walkRng.next() % UInt64(vocab)), cache: walking).cache
        }
        nb.check("n* is at most the smaller head width", breakEven <= min(dk, dv), "n* = \(breakEven), min(d_k, d_v) = \(min(dk, dv))")
        nb.say("d_k = \(dk), d_v = \(dv): n* = ⌊\(dk * dv)/\(dk + dv)⌋ + 1 = \(breakEven); state \(Format.grouped(stateHeld)) bytes")
        nb.check("the first n whose held cache passes the held state is n*", firstBeyond == breakEven,
                 "first n = \(firstBeyond.map(String.init) ?? "none up to \(breakEven + 1)"), n* = \(breakEven)")

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
            rows.append([Format.grouped(n), decimal(r.bytesReadPerToken, 2), decimal(t.bytesReadPerToken, 2),
                         ratio(t.bytesReadPerToken / r.bytesReadPerToken),
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
                 "\(decimal(Double(t8k.stateBytesRead))) cache, \(decimal(Double(t8k.weightBytesRead))) weights")
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
        nb.say("benchmark shape, n = \(Format.grouped(context)): ratio(1) = \(ratio(benchModel.ratio(batch: 1))), "
               + "ratio(\(batch)) = \(ratio(benchModel.ratio(batch: batch))), limit \(ratio(benchModel.limitRatio))")
        nb.check("ratio(\(batch)) from W + B·state = ratio of DecodingCost's bytes per token (B − 1 embedding rows apart)",
                 benchModel.ratio(batch: batch), direct, tolerance: .relative(1e-3))

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
            ["RetNet state, L·h·d_k·d_v·s (any n)", binary(Double(at1.retentionStateBytes))],
            ["KV cache per token, L·(E + V)·s", binary(Double(at1.kvCacheBytes))],
            ["break-even n*", Format.grouped(at1.breakEvenContext)],
            ["KV cache at n = \(Format.grouped(paperContext))", binary(Double(atN.kvCacheBytes))],
            ["cache / state at n = \(Format.grouped(paperContext))", ratio(weightsModel.limitRatio)],
            ["weights W: 6.7·10⁹ × 2 bytes", decimal(weightsModel.weightBytes)],
        ])
        nb.check("the state is 128 MiB", at1.retentionStateBytes == 128 << 20, binary(Double(at1.retentionStateBytes)))
        nb.check("the cache grows by 768 KiB per token", at1.kvCacheBytes == 768 << 10, binary(Double(at1.kvCacheBytes)))
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
            gpuRows.append([String(b), decimal(weightsModel.bytes(.retnet, batch: b)), decimal(weightsModel.bytes(.transformer, batch: b))
                            + (fits ? "" : " (> 80 GB)"),
                         Format.fixed(weightsModel.tokensPerSecond(.retnet, batch: b, bandwidth: bandwidth), 0),
                         Format.fixed(weightsModel.tokensPerSecond(.transformer, batch: b, bandwidth: bandwidth), 0),
                         ratio(weightsModel.ratio(batch: b))])
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
               + "B = \(threePercent), where the ratio is \(ratio(weightsModel.ratio(batch: threePercent)))")
        nb.check("3.4× less memory is 1 − 1/3.4 = 71% saved (the abstract's \"70%\")", abs((1 - 1 / 3.4) - 0.70) < 0.01,
                 "\(Format.fixed(100 * (1 - 1 / 3.4), 1))%")
        if let b = bMemory {
            nb.check("3.4× memory needs a batch of \(b), which fits in 80 GB", weightsModel.bytes(.transformer, batch: b) <= memory,
                     "Transformer at B = \(b): \(decimal(weightsModel.bytes(.transformer, batch: b)))")
        }
        nb.check("at the batch where the state is ~3% of memory (Sec. 3.4) the ratio is below 3.4×",
                 weightsModel.ratio(batch: threePercent) < 3.4 && abs(share - 0.03) < 0.01,
                 "B = \(threePercent): state \(Format.fixed(100 * share, 1))% of the RetNet's memory, ratio \(ratio(weightsModel.ratio(batch: threePercent)))")
        // Throughput 8.4× and latency 15.6×.
        let bThroughput = weightsModel.batchReaching(8.4)
        let bLatency = weightsModel.batchReaching(15.6)
        nb.say("largest Transformer batch in 80 GB: \(largest) (ratio \(ratio(atLargest))); 8.4× needs B = "
               + "\(bThroughput.map(String.init) ?? "none"); 15.6× needs B = \(bLatency.map(String.init) ?? "none")")
        nb.check("8.4× at equal batch needs more Transformer memory than 80 GB", bThroughput.map { $0 > largest } ?? true,
                 "B = \(bThroughput.map(String.init) ?? "none") > \(largest)")
        nb.check("15.6× is beyond any batch that fits", bLatency.map { $0 > largest } ?? true && atLargest < 15.6,
                 "ratio at B = \(largest): \(ratio(atLargest))")
        let noBatch = "no batch"
        nb.prose("""
            So the counts explain the memory figure: a batch of \(bMemory.map(String.init) ?? noBatch)
            sequences at 8k makes the Transformer hold 3.4× the RetNet's memory, and "70% saved" is
            the same number. They do not explain the paper's two memory statements at one batch:
            where the RetNet's state is 3% of its memory (B = \(threePercent)), the Transformer holds
            only \(ratio(weightsModel.ratio(batch: threePercent))) as much. For throughput and
            latency the counts give the Transformer \(ratio(weightsModel.ratio(batch: 1))) the
            RetNet's bytes per step at batch 1 and at most \(ratio(atLargest)) at the largest batch
            whose caches fit in 80 GB (\(largest)); 8.4× at equal batch needs
            B = \(bThroughput.map(String.init) ?? noBatch), which does not fit. 8.4× throughput is reached if the RetNet runs a larger batch than the
            Transformer can hold, which its 128 MiB per sequence allows (the figure's right end) —
            the paper does not give its batches. 15.6× latency, beyond the bytes ratio at any batch
            that fits, is not explained by reading weights and cache once per step; what else the
            measured latency includes (the prompt's encoding, copies of a growing cache) the paper
            does not say, and this model does not guess.
            """)
        nb.section("The figures")
        nb.figure("Figures/decode-memory.svg", caption: """
            Bytes a sequence keeps against the context n (log axes): the RetNet's state is flat, the
            KV cache a straight line of slope 1 that crosses it at n*. Modelled by `DecodingCost`;
            regenerated by `swift run figures`.
            """)
        nb.figure("Figures/decode-bytes-per-token.svg", caption: """
            Bytes one decoded token reads at batch 1 against the context n: the weights plus the state
            or cache. At a bandwidth of b bytes/s a memory-bound step lasts bytes/b.
            """)
        nb.figure("Figures/decode-throughput-batch.svg", caption: """
            The 6.7B models at 8,192 tokens on one A100-80GB, memory-bound: tokens per second against
            the batch, each curve ending at the largest batch whose weights and states fit in 80 GB.
            """)

        nb.section("Measured on this machine")
        nb.prose("""
            Counting says what a step must read; a clock says what it takes. With
            `swift run -c release chapter09 --measure` the fast Float batch decoders (`FastRetNet.BatchDecoder`
            and `FastTransformer.Decoder`, each step one read of the weights for all B sequences) of
            the benchmark shape are timed at contexts 128 … 8,192 and
            batches 1 … 16, printed as tables and drawn into `Figures/decode-latency-measured.svg` and
            `Figures/decode-throughput-measured.svg` beside what these counts predict from the
            measured read bandwidth and FMA peak. The timings stay off this page: they differ from
            run to run and machine to machine.
            """)
        if measure {
            try DecodeMeasurement.run(nb, shape: DecodingCost.benchmarkShape, threads: threads, batchContext: measureContext, seed: seed)
        } else {
            nb.measured("(not measured: add --measure to a release build)", onPage: "(timings: measured with --measure, in a terminal)")
        }
    }

}

Chapter09.main()
