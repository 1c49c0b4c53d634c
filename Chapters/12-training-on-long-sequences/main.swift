import ArgumentParser
import ChapterSupport
import Foundation
import Matrices
import Notebook

struct Chapter12: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chapter12",
        abstract: "12 — Training on long sequences: what a training step keeps and does as n grows, for the RetNet's parallel and chunkwise forms and the Transformer's naive and tiled attention.",
        discussion: """
            The checks run real training steps of a small model at n = 32, 64 and --length and compare what the \
            code allocates with the counts; the counts are then applied to E = 256, h = 4, 4 layers from 256 to \
            16,384 tokens. Timings: swift run -c release chapter12 --measure (terminal, Figures/*-measured.svg and a \
            dated record in benchmarks/, never the page). Length generalisation: swift run -c release chapter12 \
            --length-generalisation trains chapter 11's two models at contexts 64 and 1,024 (about half an hour) and \
            writes records/length-generalisation.json, which the page reads, and Figures/length-generalisation-measured.svg.
            """)

    @Option(help: "n: the longest sequence of the checked training steps (64…1024).")
    var length = 128

    @Option(help: "B: chunk size of the RetNet's chunkwise form and block size of the tiled attention in the checked steps (8…--length).")
    var chunkSize = 16

    @Option(help: "Threads of the checked steps and of --measure (1…16).")
    var threads = 2

    @Option(help: "Seed of the small models' weights and tokens.")
    var seed: UInt64 = 12

    @Flag(help: "Time one training step of each form at n = 256 … 16,384, batch 1 (release builds only); writes Figures/training-*-measured.svg and a record in benchmarks/.")
    var measure = false

    @Flag(help: "Train chapter 11's RetNet and Transformer at contexts 64 and 1,024 and read 4,096 positions of every validation window (release builds only, about half an hour): writes records/length-generalisation.json and Figures/length-generalisation-measured.svg.")
    var lengthGeneralisation = false

    @Option(help: "Steps of --length-generalisation's context-64 runs (a multiple of 4, 4…100,000; the context-1,024 runs take 3/4 as many at batch 1). Fewer than 2,000 is a reduced run, and the record says so.")
    var lengthSteps = LengthGeneralisation.fullSteps

    @Option(help: "Validation windows --length-generalisation reads (1…1,000; default: as many as the split holds).")
    var lengthWindows: Int?

    @Flag(help: "Redraw Figures/length-generalisation-measured.svg from the committed record (release builds only; trains nothing).")
    var redrawFigures = false

    @OptionGroup var page: PageOptions

    /// The package root, from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func validate() throws {
        try FlagCheck.range(length, in: 64...1_024, flag: "--length", reason: "a training step per form and length")
        try FlagCheck.range(chunkSize, in: 8...1_024, flag: "--chunk-size",
                            reason: "the tiled steps run (n/B)² block products per head: smaller blocks are right but slow")
        guard chunkSize <= length else {
            throw ValidationError("--chunk-size \(chunkSize) is longer than --length \(length): a chunk is at most the sequence.")
        }
        try FlagCheck.range(threads, in: 1...16, flag: "--threads")
        try FlagCheck.range(lengthSteps, in: 4...100_000, flag: "--length-steps")
        guard lengthSteps % 4 == 0 else {
            throw ValidationError("--length-steps must be a multiple of 4 (the context-1,024 runs take 3/4 as many steps on the same tokens), got \(lengthSteps).")
        }
        if let lengthWindows { try FlagCheck.range(lengthWindows, in: 1...1_000, flag: "--length-windows") }
        guard !(lengthGeneralisation && redrawFigures) && !(measure && (lengthGeneralisation || redrawFigures)) else {
            throw ValidationError("--measure, --length-generalisation and --redraw-figures are separate runs: give one of them.")
        }
        if lengthGeneralisation || redrawFigures {
            guard !page.markdown && !page.writePage else {
                throw ValidationError("--length-generalisation and --redraw-figures write a record and a measured figure; they cannot go on a page.")
            }
            #if DEBUG
            throw ValidationError(lengthGeneralisation
                ? "--length-generalisation trains four models for about half an hour and is meant for a release build: swift run -c release chapter12 --length-generalisation"
                : "--redraw-figures writes a measured figure, which only a release build does: swift run -c release chapter12 --redraw-figures")
            #endif
        }
        if measure {
            guard !page.markdown && !page.writePage else {
                throw ValidationError("--measure prints timings to the terminal and writes measured figures; it cannot go on a page.")
            }
            #if DEBUG
            throw ValidationError("--measure times training steps and means something only in a release build: swift run -c release chapter12 --measure")
            #endif
        }
    }

    func run() throws {
        let nb = Notebook(title: "12 — Training on long sequences", command: "chapter12", options: page)
        if redrawFigures {
            try LengthFigure.write(LengthRecord.read(from: Self.root), root: Self.root)
            nb.say("wrote \(LengthFigure.path) from \(LengthRecord.path)")
            return
        }
        if lengthGeneralisation {
            try LengthGeneralisation(steps: lengthSteps, windows: lengthWindows, threads: threads, root: Self.root).run(nb)
            return
        }
        try narrate(nb)
        try nb.finish()
    }

    func narrate(_ nb: Notebook) throws {
        nb.prose("""
            The paper's third corner is training parallelism at length: every token of a sequence is
            trained at once, as in a Transformer, yet memory grows with the sequence, not its square.
            The parallel form of chapter 03 is parallel but quadratic; the chunkwise form of chapter 05
            is what the paper trains long sequences with (Sec. 2.2, Eq. 7), and its backward pass was
            derived in chapter 10. This chapter runs both on the kernels, beside a Transformer whose
            attention is naive (its T×T weights) and tiled (FlashAttention, Dao et al. 2022: an online
            softmax over blocks of keys, the weights computed again in the backward pass) — the paper's
            Trm+FlashAttn baseline, so that the comparison is not with a strawman. It counts what a
            training step keeps and does as the sequence grows, checks every count against the
            buffers the code allocates, and, with `--measure`, times the step.
            """)
        try whatAStepKeeps(nb)
        try asTheSequenceGrows(nb)
        try measuredOnThisMachine(nb)
        try beyondTheTrainingContext(nb)
    }
}

Chapter12.main()
