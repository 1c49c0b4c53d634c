import Foundation
import Matrices
import Notebook

extension Chapter12 {
    /// Length generalisation: the committed record of `--length-generalisation`, read back, its
    /// claims checks on the record's numbers.
    func beyondTheTrainingContext(_ nb: Notebook) throws {
        nb.section("Beyond the training context")
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
            as chapter 11 trains them (`retnet train`'s defaults: 2,000 steps of 12 windows of 64
            tokens, gradients in the parallel form and naive attention), then both again at context
            1,024 on the same 1,536,000 predicted tokens — batch 1, 1,500 steps, the schedule's shape
            kept (warm-up 1/20 of the steps, a cosine to 1e-4), gradients in the chunkwise form and
            the tiled attention of this chapter, blocks of 64. Each model then reads every
            non-overlapping window of 4,097 characters of the validation split, and the loss at each
            position 1 … 4,096 is averaged over the windows: the RetNet in the chunkwise form (the
            same numbers as decoding token by token from its state, up to Float rounding), the
            Transformer with its full context and with a sliding window of the context it trained at.
            """)
        let record = try LengthRecord.read(from: Self.root)
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
}
