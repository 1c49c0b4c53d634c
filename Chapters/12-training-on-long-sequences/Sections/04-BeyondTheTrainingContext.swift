import FastRetNet
import Foundation
import Generation
import Matrices
import Notebook
import RetNetModel

extension Chapter12 {
    /// Length generalisation: the committed record of `--length-generalisation`, read back, its
    /// claims checks on the record's numbers.
    func beyondTheTrainingContext(_ nb: Notebook) throws {
        nb.section("Beyond the training context")
        let record = try LengthRecord.read(from: Self.root)
        guard let short = record.run("RetNet", context: 64), let long = record.run("RetNet", context: 1_024),
              record.run("Transformer", context: 64) != nil, record.run("Transformer", context: 1_024) != nil
        else { throw LengthError("\(LengthRecord.path) lacks one of the four runs") }
        nb.prose("""
            Chapter 11 trained both models on windows of 64 characters. Nothing stops the RetNet from
            reading further: its state after 4,000 characters has the same shape as after 40, and the
            chunkwise form reads a text of any length in one pass. The Transformer can read further
            too, in two ways. With its full context, every query attends to every key before it, the
            rotary positions (RoPE) extrapolated to offsets it never trained at. With a sliding window
            of T keys — banded causal attention: at every layer, the query at position p attends to
            the keys at p − T + 1 … p only — every query sees offsets it trained at, though what
            reaches it through the layers comes from up to L·T tokens back. (This is not nanoGPT's
            sliding window of chapter 11's sample, which reads the last T tokens again from position
            0 for every new token: T forward steps per prediction, 4,096 × 1,024 of them per window
            for the longer model below, too many to measure here.)

            `swift run -c release chapter12 --length-generalisation` measures it: both models trained
            as chapter 11 trains them (`retnet train`'s defaults: \(Format.grouped(short.steps)) steps of
            \(short.batchSize) windows of 64 tokens, gradients in the parallel form and naive attention),
            then both again at context 1,024 on the same \(Format.grouped(short.tokens)) predicted tokens —
            batch \(long.batchSize), \(Format.grouped(long.steps)) steps, the schedule's shape kept (warm-up
            \(long.warmup) steps, 1/20 of them, as 100 is of 2,000; a cosine to 1e-4), gradients in the
            chunkwise form and the tiled attention of this chapter, blocks of 64. Each model then reads
            every non-overlapping window of 4,097 characters of the validation split, and the loss at
            each position 1 … 4,096 is averaged over the windows: the RetNet in the chunkwise form (the
            same numbers as decoding token by token from its state, up to Float rounding), the
            Transformer with its full context and with a sliding window of the context it trained at.
            """)
        try chunkwiseIsDecoding(nb)
        nb.say("Record: measured on \(record.cpu), \(record.date) (\(record.load) when it started), \(record.threads) thread(s), "
               + "release build; \(record.windows) validation windows of \(Format.grouped(record.positions + 1)) tokens"
               + (record.reduced ? "; a REDUCED run: fewer steps than the full budget, not the measurement the prose describes" : "")
               + ".")
        nb.table(["model", "trained at", "steps × batch", "form", "predicted tokens", "final validation loss"],
                 record.runs.map { run in
                     [run.model, "\(run.context)", "\(Format.grouped(run.steps)) × \(run.batchSize)", run.form,
                      Format.grouped(run.tokens), Format.fixed(run.finalValidationLoss, 4)]
                 })
        let budget = record.runs.map(\.tokens)
        nb.check("every model trained on the same number of predicted tokens", Set(budget).count == 1,
                 "tokens: \(budget.map(Format.grouped).joined(separator: ", "))")
        let (headers, rows) = LengthFigure.rows(record)
        nb.prose("The mean loss (nats per character) over spans of positions, from the record:")
        nb.table(headers, rows)
        nb.figure(LengthFigure.path, caption: "The loss per position, from the record (log-spaced bins; solid: trained at "
                  + "context 64, dashed: at 1,024; the markers at the training contexts).")
        try withinTheWindow(nb, record)
        try whatTheRecordShows(nb, record)
    }

    /// The RetNet's per-position losses from the chunkwise form over a whole text are those of
    /// decoding it token by token from the recurrent state: a small random model (E = 32, 2
    /// layers) over 300 tokens, chunks of 16. Bound: both paths are within 2e-5 of the reference
    /// RetNet<Float>, relative to the largest logit (the fast model's tests), so each logit is
    /// within δ = 4e-5·max|logit| of the other; a loss, logsumexp minus one logit, within 2δ.
    func chunkwiseIsDecoding(_ nb: Notebook) throws {
        let config = RetNetConfig(variant: .torchscale, embedDim: 32, valueEmbedDim: 64, retentionHeads: 2, ffnEmbedDim: 64,
                                  layers: 2, vocabSize: 65)
        let model = try FastRetNet(try RetNet<Float>.random(config: config, seed: seed))
        var generator = SplitMix64(seed: seed)
        let text = (0..<301).map { _ in Int(generator.next() % 65) }
        let chunkwise = try PositionLosses.retnet(model, text: text, chunkSize: 16)
        var state = model.emptyState(), worst = 0.0, largest = 0.0
        for (p, token) in text.dropLast().enumerated() {
            let logits = try model.step(token, state: &state).map(Double.init)
            let peak = logits.max()!
            let loss = peak + log(logits.reduce(0) { $0 + exp($1 - peak) }) - logits[text[p + 1]]
            worst = max(worst, abs(loss - chunkwise[p]))
            largest = max(largest, logits.map(abs).max()!)
        }
        let bound = 2 * 4e-5 * largest
        nb.check("the chunkwise form's loss at each of 300 positions is decoding's, token by token from the state",
                 worst <= bound, "max |Δ| \(Format.scientific(worst)) ≤ \(Format.scientific(bound)) (2 · 4e-5 · max |logit|)")
    }

    /// Within its window, a sliding window reads what the full context reads: the same losses,
    /// to the bit, at every recorded span that ends by the window.
    func withinTheWindow(_ nb: Notebook, _ record: LengthRecord) throws {
        for run in record.runs where run.model == "Transformer" {
            guard let full = run.readings.first(where: { $0.window == nil }),
                  let sliding = run.readings.first(where: { $0.window != nil }), let window = sliding.window
            else { throw LengthError("the record's Transformer at context \(run.context) lacks a reading") }
            let inside = full.spans.filter { $0.last <= window }
            let same = inside.allSatisfy { span in sliding.mean(span.first, span.last) == span.mean }
            nb.check("trained at \(run.context): within the window, the sliding window's losses are the full context's",
                     same && !inside.isEmpty, "\(inside.count) spans up to position \(window) compared")
        }
    }

    /// The findings, each a check on the record's numbers (spans of positions; differences between
    /// models are taken at the same positions of the same windows, so that the text's own hard and
    /// easy stretches cancel).
    func whatTheRecordShows(_ nb: Notebook, _ record: LengthRecord) throws {
        nb.prose("""
            What the record shows, each number a check on it. Where two readings are compared, they are
            compared at the same positions of the same windows, so that the text's own hard and easy
            stretches cancel.
            """)
        func mean(_ model: String, _ context: Int, _ window: Bool, _ span: (Int, Int)) throws -> Double {
            guard let run = record.run(model, context: context),
                  let reading = run.readings.first(where: { ($0.window != nil) == window }),
                  let value = reading.mean(span.0, span.1)
            else { throw LengthError("the record lacks \(model) at \(context), positions \(span.0)–\(span.1)") }
            return value
        }
        func nats(_ x: Double) -> String { Format.fixed(x, 3) }
        /// A claim that `value` lies in `range`, with the number and the range in the detail.
        func claim(_ text: String, _ value: Double, _ range: ClosedRange<Double>) {
            let bounds = [range.lowerBound.isFinite ? "≥ \(nats(range.lowerBound))" : nil,
                          range.upperBound.isFinite ? "≤ \(nats(range.upperBound))" : nil].compactMap { $0 }
            nb.check(text, range.contains(value), "\(nats(value)) nats, required \(bounds.joined(separator: " and "))")
        }
        let (start, inside, past, early, late, far) = ((1, 8), (33, 64), (1_025, 4_096), (65, 128), (513, 1_024), (2_049, 4_096))

        let fullEarly = try mean("Transformer", 64, false, early), slidingEarly = try mean("Transformer", 64, true, early)
        let fullPast = try mean("Transformer", 64, false, past), slidingPast = try mean("Transformer", 64, true, past)
        let retnetEarly = try mean("RetNet", 64, false, early), retnetPast = try mean("RetNet", 64, false, past)
        let gapInside = try mean("RetNet", 64, false, inside) - mean("Transformer", 64, true, inside)
        nb.prose("""
            Trained at 64, the Transformer with its full context breaks as soon as it passes its
            context: at positions 65–128 its loss is \(nats(fullEarly)) against its sliding window's
            \(nats(slidingEarly)) on the same characters, and past 1,024 it is \(nats(fullPast)) — about
            ln 65 = \(nats(log(65))), the loss of a uniform guess over the 65 characters: its queries
            meet rotations of offsets it never trained at. Read with a sliding window of 64 it does
            not break at all: \(nats(slidingPast)) past 1,024 against \(nats(slidingEarly)) at 65–128.
            """)
        claim("trained at 64: the full context's loss at 65–128 exceeds the sliding window's there by at least 0.5 nats",
              fullEarly - slidingEarly, 0.5...(.infinity))
        claim("trained at 64: the full context's loss past 1,024 is within 0.1 nats of a uniform guess, ln 65",
              fullPast - log(65), -0.1...0.1)
        claim("trained at 64: the sliding window's loss past 1,024 is within 0.05 nats of its loss at 65–128",
              slidingPast - slidingEarly, -0.05...0.05)
        nb.prose("""
            The RetNet, which needs no window, does not break either — but it does degrade, slowly: its
            loss rises from \(nats(retnetEarly)) at 65–128 to \(nats(retnetPast)) past 1,024, and
            its deficit against the sliding-window Transformer on the same characters grows from
            \(nats(gapInside)) nats inside the training context (33–64) to \(nats(retnetPast - slidingPast))
            past 1,024. Its decays keep the state bounded, yet a state summed over thousands of tokens
            is not one it trained on.
            """)
        claim("trained at 64: the RetNet trails the sliding-window Transformer inside the context (33–64) by at least 0.05 nats",
              gapInside, 0.05...(.infinity))
        claim("trained at 64: the RetNet's loss past 1,024 exceeds its loss at 65–128 by less than 0.1 nats (no breakdown)",
              retnetPast - retnetEarly, 0...0.1)
        claim("trained at 64: the RetNet's deficit against the sliding window grows past the context by at least 0.03 nats",
              (retnetPast - slidingPast) - gapInside, 0.03...(.infinity))

        let longRetNet = try mean("RetNet", 1_024, false, past), longRetNetLate = try mean("RetNet", 1_024, false, late)
        let longFull = try mean("Transformer", 1_024, false, past), longSliding = try mean("Transformer", 1_024, true, past)
        let longFar = try mean("Transformer", 1_024, false, far)
        let levels = try [early, (129, 512), late].map { try mean("RetNet", 1_024, false, $0) - mean("Transformer", 1_024, false, $0) }
            + [longRetNet - longSliding]
        nb.prose("""
            Trained at 1,024 the picture repeats sixteen times further out. The Transformer's full
            context holds to 1,024 and breaks past it (\(nats(longFull)) at 1,025–4,096,
            \(nats(longFar)) at 2,049–4,096); its sliding window of 1,024 does not
            (\(nats(longSliding))). The RetNet stays level past its context: \(nats(longRetNet)) at
            1,025–4,096 against \(nats(longRetNetLate)) at 513–1,024. And at this context the two
            models are level with each other — within \(nats(levels.map(abs).max()!)) nats at every span
            from 65 on — where at 64 the RetNet trailed by \(nats(gapInside)).
            """)
        claim("trained at 1,024: the full context's loss past 1,024 exceeds the sliding window's by at least 1 nat",
              longFull - longSliding, 1...(.infinity))
        claim("trained at 1,024: the RetNet's loss past 1,024 is within 0.05 nats of its loss at 513–1,024",
              longRetNet - longRetNetLate, -0.05...0.05)
        claim("trained at 1,024: the RetNet and the Transformer (its sliding window past 1,024) are within 0.02 nats at 65–128, "
              + "129–512, 513–1,024 and 1,025–4,096", levels.map(abs).max()!, 0...0.02)

        let startCost = try [("RetNet", false), ("Transformer", false)].map { try mean($0.0, 1_024, $0.1, start) - mean($0.0, 64, $0.1, start) }
        let retnetGain = retnetPast - longRetNet, transformerCost = longSliding - slidingPast
        nb.prose("""
            What the longer context bought, on the same 1,536,000 predicted tokens: the RetNet's loss
            past 1,024 fell by \(nats(retnetGain)) nats, the Transformer's full attention now holds to
            1,024 instead of 64 — and nothing else. Both models got worse at the start of a window
            (positions 1–8: \(startCost.map(nats).joined(separator: " and ")) nats worse), since a step
            of one sequence of 1,024 trains the first positions once where a step of 12 sequences of
            64 trains them twelve times; and the best reader of long text here is still the
            Transformer trained at 64 with a sliding window, \(nats(transformerCost)) nats better past
            1,024 than the one trained at 1,024. For a model this small on character-level
            Shakespeare, on this budget, a longer training context meant fewer, noisier optimiser
            steps and bought little loss; what it shows is which reading of a long text survives: a
            RetNet's state and a Transformer's window do, a Transformer's extrapolated positions do
            not.
            """)
        claim("the models trained at 1,024 are at least 0.15 nats worse at positions 1–8 than those trained at 64",
              startCost.min()!, 0.15...(.infinity))
        claim("the RetNet trained at 1,024 is at least 0.02 nats better past 1,024 than the RetNet trained at 64",
              retnetGain, 0.02...(.infinity))
        claim("the Transformer trained at 64, with its sliding window, is at least 0.1 nats better past 1,024 than trained at 1,024",
              transformerCost, 0.1...(.infinity))
    }
}
