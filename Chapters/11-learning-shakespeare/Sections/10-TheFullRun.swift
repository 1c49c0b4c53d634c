import ChapterSupport
import DecodingCosts
import FastRetNet
import FastTraining
import Foundation
import Matrices
import MultiScaleRetention
import Notebook
import Plots
import RetNetModel
import TorchscaleCheckpoint
import Training
import Transformer

extension Chapter11 {
    /// nanoGPT's budget on the kernels: the dated record on the page, `--full-run` (release builds,
    /// terminal only; see `FullRun`) to take a new one, and the paper's three claims beside it.
    func theFullRun(_ nb: Notebook, yardsticks: Yardsticks) throws {
        nb.section("The full run: a dated record")
        nb.prose("""
            The run above is sized for a debug build. nanoGPT's CPU example — 4 layers, 4 heads,
            width 128, context 64, batch 12, 2,000 steps, `retnet train`'s defaults — takes minutes in
            a release build, and one command trains that RetNet and its Transformer baseline of the
            same width, layers and heads identically (the same seed, batches, schedule and
            evaluations), both on the kernels (`FastGradients`, `FastTransformerGradients`), once
            for each of three seeds (a seed draws the initial weights and the batches):
            `swift run -c release chapter11 --full-run`. It prints each run's progress as
            `retnet train` does and writes a record, `records/training-full.json` beside this page:
            every evaluation of every run, the wall times, a 300-character sample of each model
            after "ROMEO:" (the RetNet's decoded recurrently from its state, the Transformer's with
            nanoGPT's sliding window over its 64-token training context), what a decoding step of
            each trained model took, and what their heads do with one line of text. It draws the
            loss curves into `Figures/training-full-measured.svg` and the heads into two figures. A
            run is a measurement of one machine, so this page shows the committed record:
            """)
        if redrawFigures {
            try FullRun.drawCurves(try FullRunRecord.read(from: Self.root), root: Self.root)
        }
        if fullRun {
            try FullRun.run(nb, iterations: fullRunIterations, seeds: fullRunSeeds, threads: threads, root: Self.root)
        } else {
            nb.measured("(not run now: add --full-run to a release build)", onPage: "(a new full run: with --full-run, in a terminal)")
        }
        let record = try FullRunRecord.read(from: Self.root)
        let (config, transformerConfig) = FullRun.configs(vocabulary: 65)
        nb.say("Record: measured on \(record.cpu), \(record.date), \(record.threads) thread(s), release build; "
               + "\(record.loadAtStart) when it started and \(record.loadAtEnd) when it ended; \(Format.grouped(record.iterations)) "
               + "steps of batch \(record.batchSize) × context \(record.context); seeds \(record.seeds.map(String.init).joined(separator: ", ")).")
        nb.table(["model", "seed", "parameters", "final train loss", "final validation loss", "wall time"],
                 record.runs.map { run in
                     [run.model, "\(run.seed)", Format.grouped(run.parameters), Format.fixed(run.finalTrain, 4),
                      Format.fixed(run.finalValidation, 4), TrainingProgress.duration(run.seconds)]
                 })
        let retnetRuns = record.runs(of: "RetNet"), transformerRuns = record.runs(of: "Transformer")
        let retnet = Spread(retnetRuns.map(\.finalValidation)), transformer = Spread(transformerRuns.map(\.finalValidation))
        nb.table(["over \(record.seeds.count) seeds", "mean validation loss", "standard deviation", "lowest – highest"],
                 [("RetNet", retnet), ("Transformer", transformer)].map { name, s in
                     [name, Format.fixed(s.mean, 4), Format.fixed(s.deviation, 4), "\(Format.fixed(s.low, 4)) – \(Format.fixed(s.high, 4))"]
                 })
        let retnetCount = try RetNet<Float>.random(config: config, seed: 1).parameterCount
        let transformerCount = try Transformer<Float>.random(config: transformerConfig, seed: 1).parameterCount
        nb.check("the record's parameter counts are those of the models this code builds for the full run",
                 retnetRuns.allSatisfy { $0.parameters == retnetCount } && transformerRuns.allSatisfy { $0.parameters == transformerCount }
                    && retnetRuns.count == record.seeds.count && transformerRuns.count == record.seeds.count,
                 "RetNet \(Format.grouped(retnetCount)), Transformer \(Format.grouped(transformerCount)), \(record.seeds.count) seeds each")
        nb.figure(FullRun.figurePath, caption: """
            Measured (\(record.date), \(record.cpu), \(record.threads) threads): train loss (solid, first seed) and validation
            loss (dashed, every seed) of both models every 250 steps. Written only by `swift run -c release chapter11
            --full-run` (or redrawn from the record with `--redraw-figures`).
            """)
        let worstRetNet = retnet.high, bestTransformer = transformer.low
        nb.check("every seed's final validation loss, both models, lies below the bigram table's \(Format.fixed(yardsticks.bigramValidation, 4))",
                 max(retnet.high, transformer.high) < yardsticks.bigramValidation,
                 "highest \(Format.fixed(max(retnet.high, transformer.high), 4))")
        let gap = retnet.mean - transformer.mean
        nb.check("the Transformer ends lower than the RetNet in every seed, and its worst seed beats the RetNet's best",
                 zip(retnetRuns, transformerRuns).allSatisfy { $0.finalValidation > $1.finalValidation } && transformer.high < retnet.low,
                 "RetNet \(Format.fixed(retnet.low, 4))–\(Format.fixed(retnet.high, 4)), Transformer "
                    + "\(Format.fixed(bestTransformer, 4))–\(Format.fixed(transformer.high, 4)); worst RetNet \(Format.fixed(worstRetNet, 4))")
        nb.prose("""
            Every run passes the bigram line, by at least
            \(Format.fixed(yardsticks.bigramValidation - max(retnet.high, transformer.high), 2)) nats:
            they use far more than the previous character. The Transformer ends
            \(Format.fixed(gap, 3)) nats lower on the mean of \(record.seeds.count) seeds, and the seeds do not overlap: the
            gap is \(Format.fixed(gap / max(retnet.deviation, transformer.deviation), 0)) times the larger of the two
            standard deviations. What that gap is and is not:

            - The hyperparameters are nanoGPT's, tuned for a GPT (η = 10⁻³, β₂ = 0.99, λ = 0.1), not
              the paper's (β₂ = 0.98, λ = 0.05, Sec. 3.1).
            - The paper's Fig. 5 has RetNet behind the Transformer at 1.3B parameters and ahead from
              2.7B up. A deficit at 0.9M parameters is what that trend leads one to expect, not a
              contradiction of it.
            - The wall times are one machine's at the load the record names; the closing section
              compares what a step costs each model.
            - nanoGPT reports a validation loss of 1.88 for its Transformer at this budget, but its
              model is not the baseline here: nanoGPT's GPT has learned absolute positions,
              LayerNorm, a GELU MLP of 4E = 512, V = E and tied input and output embeddings,
              ≈0.80M parameters; this baseline is the RetNet's matched Transformer — rotary
              positions, RMSNorm, a GLU FFN of \(transformerConfig.ffnEmbedDim), V = 2E, untied embeddings,
              \(Format.grouped(transformerCount)) parameters. Its lower loss is those differences, not a
              better training loop.
            """)
        try whatTheyWrote(nb, record: record)
        try whatTheHeadsDo(nb, record: record)
        try theTriangle(nb, record: record, config: config, transformerConfig: transformerConfig)
    }

    /// The first seed's two samples, from the record.
    func whatTheyWrote(_ nb: Notebook, record: FullRunRecord) throws {
        nb.section("What the trained models write")
        nb.prose("""
            Each trained model of the first seed, asked to continue "ROMEO:" for 300 characters at
            temperature 0.8 (from the record; a new run draws its own):
            """)
        for sample in record.samples {
            nb.say("\(sample.model) (seed \(sample.seed)):", sample.text, "")
        }
        let speakers = record.samples.map { sample in
            sample.text.split(separator: "\n").filter { line in
                line.hasSuffix(":") && line.count > 1 && line.dropLast().allSatisfy { $0.isUppercase || $0 == " " }
            }.count
        }
        nb.check("each sample has at least one more speaker's name in capitals before a colon, as the plays set them",
                 record.samples.count == 2 && speakers.allSatisfy { $0 >= 2 },
                 "speaker lines (prompt included): \(speakers.map(String.init).joined(separator: ", "))")
    }
    /// The first seed's heads on one line of validation text, from the record and its figures.
    func whatTheHeadsDo(_ nb: Notebook, record: FullRunRecord) throws {
        nb.section("What the trained heads look at")
        nb.prose("""
            The Annotated Transformer's best-loved picture is a head's attention weights over a
            sentence. The full run draws them for both trained models of the first seed, on the
            first speaker's line of the validation text (48 characters the models never trained
            on), in the first and the last layer. For the Transformer each row is softmax(q_n K̃ᵀ/√d_k)
            over the keys up to n. A retention head has no softmax: its row n is (Q Kᵀ ⊙ D)_n, signed
            and unnormalised, weighing v_m by q_n·k_m γ^(n−m) — so the figure shows each weight's
            magnitude as a share of its row's total, |A_nm| / Σ_m |A_nm|, to put both on one scale.
            Each map is recomputed from the layer's weights in Double; the outputs it implies
            (A V per head side by side, or softmax(…)V through W_O) are compared with the layer's
            own outputs, so a map that is not the model's would show.
            """)
        let line = record.mapLine.replacingOccurrences(of: "\n", with: "⏎")
        nb.say("The line: \"\(line)\"")
        let worst = record.maps.map(\.layerGap).max() ?? .nan
        nb.check("recorded: every map's implied outputs matched its layer's own to 1e-12 relative (Double)",
                 record.maps.count == 2 * FullRun.mapLayers.count * 4 && worst < 1e-12, "largest gap \(Format.scientific(worst))")
        nb.figure(FullRun.retnetMapsPath, caption: """
            The trained RetNet (\(record.date), seed \(record.seeds.first.map(String.init) ?? "")): each head's |Q Kᵀ ⊙ D| as
            shares of its row, layers 1 and 4, on "\(line)". Drawn by `--full-run` from the trained weights.
            """)
        nb.figure(FullRun.transformerMapsPath, caption: """
            The trained Transformer of the same seed: each head's softmax(Q Kᵀ/√d_k), layers 1 and 4, on the same line.
            """)
        nb.table(["model", "layer", "head", "γ", "mean distance looked back (characters)"],
                 record.maps.map { m in
                     [m.model, "\(m.layer + 1)", "\(m.head + 1)", m.gamma.map { Format.fixed($0, 4) } ?? "—", Format.fixed(m.meanDistance, 1)]
                 })
        var fastest: [String] = []
        for layer in FullRun.mapLayers {
            let heads = record.maps.filter { $0.model == "RetNet" && $0.layer == layer }
            guard let fast = heads.min(by: { ($0.gamma ?? 0) < ($1.gamma ?? 0) }) else { continue }
            let others = heads.filter { $0.head != fast.head }.map(\.meanDistance)
            fastest.append("layer \(layer + 1): \(Format.fixed(fast.meanDistance, 1)) against "
                           + "\(others.map { Format.fixed($0, 1) }.joined(separator: ", "))")
            nb.check("layer \(layer + 1): the RetNet head with the fastest decay (γ = \(Format.fixed(fast.gamma ?? 0, 4))) looks back "
                     + "the fewest characters of its layer", heads.count == 4 && others.allSatisfy { $0 > fast.meanDistance },
                     fastest.last ?? "")
            let slower = heads.filter { $0.head != fast.head }.sorted { ($0.gamma ?? 0) < ($1.gamma ?? 0) }.map(\.meanDistance)
            nb.check("layer \(layer + 1): the three slower heads' distances do not rise with γ",
                     slower.count == 3 && !(slower[0] < slower[1] && slower[1] < slower[2]),
                     slower.map { Format.fixed($0, 1) }.joined(separator: ", ") + " in order of γ")
        }
        let last = FullRun.mapLayers.last ?? 3
        let lastTransformer = record.maps.filter { $0.model == "Transformer" && $0.layer == last }.map(\.meanDistance)
        let nearest = record.maps.filter { $0.model == "RetNet" }.map(\.meanDistance).min() ?? .nan
        nb.check("every Transformer head of layer \(last + 1) looks back fewer than 4 characters on average, fewer than any RetNet head drawn",
                 lastTransformer.count == 4 && lastTransformer.allSatisfy { $0 < nearest && $0 < 4 },
                 "Transformer layer \(last + 1): \(lastTransformer.map { Format.fixed($0, 1) }.joined(separator: ", ")); "
                    + "RetNet's nearest \(Format.fixed(nearest, 1))")
        nb.prose("""
            The decay is a retention head's built-in prior: in both layers the head with the fastest
            decay looks back the fewest characters on average (\(fastest.joined(separator: "; "))) —
            the slower three are not ordered by γ, so what they learned matters as much as their
            decay. A softmax head has no such prior and learns where to look: the Transformer's last
            layer looks mostly at the last two or three characters, nearer than any retention head,
            whose weights are spread over everything the decay lets through.
            """)
    }

    /// The paper's "impossible triangle" for the two trained models: training parallelism,
    /// low-cost inference, performance, each with the paper's claim beside it.
    func theTriangle(_ nb: Notebook, record: FullRunRecord, config: RetNetConfig, transformerConfig: TransformerConfig) throws {
        nb.section("The impossible triangle")
        nb.prose("""
            The paper's Fig. 2 names three things no earlier architecture had at once — parallel
            training, low-cost inference and good performance — and claims RetNet has all three. Here
            are the two models of the full run against each claim. Decoding is counted by chapter
            09's `DecodingCost` (Float, batch 1, bytes moved per token: weights, state or cache
            read, and what is written back), at positions the models were trained on (64) and beyond
            it (300, a sample's length; 2,048) — past 64 the Transformer as sampled here slides a
            64-token window instead, and re-reads it for every token:
            """)
        var held: [[String]] = []
        for n in [64, 300, 2_048] {
            let r = try DecodingCost.retnet(config, context: n, batch: 1, elementBytes: 4)
            let t = try DecodingCost.transformer(transformerConfig, context: n, batch: 1, elementBytes: 4)
            held.append(["decoding at n = \(Format.grouped(n)): state or cache, bytes moved per token",
                         "\(Format.decimalBytes(Double(r.stateBytes), 2)), \(Format.decimalBytes(r.bytesMovedPerToken, 2))",
                         "\(Format.decimalBytes(Double(t.stateBytes), 2)), \(Format.decimalBytes(t.bytesMovedPerToken, 2))",
                         n == 64 ? "O(1) per token for RetNet, O(n) for the Transformer (Sec. 2.1, Fig. 6)" : ""])
        }
        let retnetRuns = record.runs(of: "RetNet"), transformerRuns = record.runs(of: "Transformer")
        let retnetLoss = Spread(retnetRuns.map(\.finalValidation)), transformerLoss = Spread(transformerRuns.map(\.finalValidation))
        let retnetWall = Spread(retnetRuns.map(\.seconds)), transformerWall = Spread(transformerRuns.map(\.seconds))
        func decoding(_ model: String, _ n: Int) -> String {
            record.decoding.first { $0.model == model && $0.position == n }.map { "\(Format.fixed($0.microseconds, 0)) µs" } ?? "—"
        }
        let measured = FullRun.decodingPositions.map { n in
            ["decoding at n = \(Format.grouped(n)), measured (record; whole cache kept)", decoding("RetNet", n), decoding("Transformer", n),
             n == FullRun.decodingPositions.first ? "flat for RetNet, growing with n for the Transformer" : ""]
        }
        let rows: [[String]] = [
            ["training: every position of a window at once", "yes (parallel form)", "yes (causal attention)",
             "RetNet trains in parallel (Sec. 2.1), chunkwise at long lengths (Table 4)"],
            ["training: wall time of \(Format.grouped(record.iterations)) steps, mean of \(record.seeds.count) seeds (record)",
             TrainingProgress.duration(retnetWall.mean), TrainingProgress.duration(transformerWall.mean), ""],
        ] + held + measured + [
            ["validation loss after \(Format.grouped(record.iterations)) steps, mean ± sd of \(record.seeds.count) seeds (record)",
             "\(Format.fixed(retnetLoss.mean, 4)) ± \(Format.fixed(retnetLoss.deviation, 4))",
             "\(Format.fixed(transformerLoss.mean, 4)) ± \(Format.fixed(transformerLoss.deviation, 4))",
             "comparable; RetNet ahead from ~2B parameters (Fig. 5)"],
        ]
        nb.table(["", "RetNet", "Transformer", "the paper"], rows)
        func time(_ model: String, _ n: Int) -> Double { record.decoding.first { $0.model == model && $0.position == n }?.microseconds ?? .nan }
        let (first, last) = (FullRun.decodingPositions.first ?? 64, FullRun.decodingPositions.last ?? 2_048)
        let retnetGrowth = time("RetNet", last) / time("RetNet", first), transformerGrowth = time("Transformer", last) / time("Transformer", first)
        nb.check("measured (record): the RetNet's decoding step at n = \(Format.grouped(last)) takes within 1.5× of its step at \(first)",
                 retnetGrowth <= 1.5, "\(Format.fixed(retnetGrowth, 2))×")
        nb.check("measured (record): the Transformer's step at n = \(Format.grouped(last)) takes over twice its step at \(first), as its bytes moved do",
                 transformerGrowth > 2, "\(Format.fixed(transformerGrowth, 2))×")
        let r64 = try DecodingCost.retnet(config, context: 64, batch: 1, elementBytes: 4)
        let t64 = try DecodingCost.transformer(transformerConfig, context: 64, batch: 1, elementBytes: 4)
        let t300 = try DecodingCost.transformer(transformerConfig, context: 300, batch: 1, elementBytes: 4)
        nb.prose("""
            At this size the triangle is lopsided. Both models train every position at once at a
            64-character context. The Transformer's cache passes the RetNet's state at chapter 09's
            n* = \(try DecodingCost.breakEvenContext(keyDim: config.keyDim, valueDim: config.headDim)) tokens, but the weights
            (\(Format.decimalBytes(Double(r64.weightBytesRead), 1))) dominate each step long after that: the Transformer
            moves \(Format.fixed(100 * (t64.bytesMovedPerToken / r64.bytesMovedPerToken - 1), 0))% more bytes per token at 64
            and \(Format.fixed(100 * (t300.bytesMovedPerToken / r64.bytesMovedPerToken - 1), 0))% more at 300. And the
            RetNet's loss is \(Format.fixed(retnetLoss.mean - transformerLoss.mean, 2)) nats behind on the mean of
            \(record.seeds.count) seeds. The RetNet's side of the bargain shows at long contexts and large models,
            where its per-token cost stays flat while the cache outgrows the weights — which is where
            the paper measures it.
            """)
    }
}
