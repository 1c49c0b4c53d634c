import ChapterSupport
import DecodingCosts
import Matrices
import Notebook
import RetNetModel
import Transformer

extension Chapter09 {
    /// A small RetNet and the Transformer of its shape, in Double: what each keeps per sequence
    /// (counted, and held), decoding from it against the full forward pass, and the context n*
    /// where the cache passes the state.
    func decodersOfOneShape(_ nb: Notebook) throws {
        nb.section("Two decoders of one shape")
        nb.prose("""
            Two Transformers appear in this chapter, and they are not the same model. The *matched*
            Transformer is built from the RetNet's configuration (`TransformerConfig(matching:)`):
            the same width E, layers L, heads h, Q/K head width d_k = E/h and V head width
            d_v = V/h, the same norms, FFN kind and rotary positions. Retention's gate W_G (E·V
            weights) has no counterpart in attention; its weights widen the FFN instead (F′ = F + V/3
            for torchscale's GLU FFN, rounded), so the two hold the same weights up to that rounding:
            |3·⌊(V + 1)/3⌋ − V| ≤ 1, so they differ by at most E weights per layer (a third of one
            hidden unit's 3E). It is the Transformer for the checks on small models below, for the
            benchmark shape and for chapter 11's training. The *paper's* Transformer, used at the
            6.7B scale further down, is standard attention: its values are as wide as its keys
            (V = E), where the RetNet's are 2E.
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
        nb.prose("""
            `DecodingCost` counts the weight bytes a step reads from the configuration: every weight
            once, except the embedding table, of which only the token's row is read. Add back the
            other vocabulary − 1 rows, and the count must be the weights the models store (counted
            from their arrays, s = 8):
            """)
        for (name, stored, counted) in [
            ("RetNet", retnet.parameterCount, try DecodingCost.retnet(retnetConfig, context: 0, batch: 1, elementBytes: 8).weightBytesRead),
            ("matched Transformer", transformer.parameterCount,
             try DecodingCost.transformer(transformerConfig, context: 0, batch: 1, elementBytes: 8).weightBytesRead),
        ] {
            let table = (vocab - 1) * embedDim * 8
            nb.check("\(name): counted weight bytes + the other \(vocab - 1) embedding rows = stored weights × 8",
                     counted + table == stored * 8, "\(Format.grouped(counted + table)) counted, \(Format.grouped(stored * 8)) stored")
        }

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
        nb.say("the state after n + 3: \(Format.grouped(held(state))) bytes, as after n (its matrices have fixed shapes)")
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
    }
}
