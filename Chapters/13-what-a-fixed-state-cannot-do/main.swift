import ArgumentParser
import ChapterSupport
import Foundation
import Matrices
import Notebook
import Recall

struct Chapter13: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chapter13",
        abstract: "13 — What a fixed state cannot do: multi-query associative recall, the RetNet against attention.",
        discussion: """
            The checks run on constructed keys and on a small recall task trained in seconds. The grid — widths × \
            pairs × the three models, a few learning rates per cell — is a measurement: \
            swift run -c release chapter13 --full-run (terminal, Figures/recall-*-measured.svg and the record in records/).
            """)

    @Option(help: "Optimiser steps of the small run (100…5000; the checks are claims about at least 150).")
    var steps = 150

    @Option(help: "Seed of the keys, the tasks and the initial weights.")
    var seed: UInt64 = 13

    @Option(help: "Threads for the gradients (1…8; the bits do not depend on it).")
    var threads = 2

    @Flag(help: "Train the grid (release builds only, tens of minutes): terminal, measured figures and a dated record.")
    var fullRun = false

    @Flag(help: "Redraw the measured figures from the committed record (release builds only; trains nothing).")
    var redrawFigures = false

    @Option(help: "Steps per cell of --full-run.")
    var fullRunSteps = 1500

    @Option(help: "Sequence length T of --full-run's task.")
    var fullRunLength = 64

    @Option(help: "Vocabulary of --full-run's task.")
    var fullRunVocabulary = 64

    @Option(help: "Batch size of --full-run.")
    var fullRunBatch = 32

    @Option(parsing: .upToNextOption, help: "Widths of --full-run.")
    var widths: [Int] = [32, 64, 128]

    @Option(parsing: .upToNextOption, help: "Key–value pair counts of --full-run.")
    var pairs: [Int] = [4, 8, 16, 32]

    @Option(parsing: .upToNextOption, help: "Peak learning rates of --full-run (the best per cell is kept).")
    var learningRates: [Double] = [1e-3, 3e-3]

    @OptionGroup var page: PageOptions

    /// The package root, from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func validate() throws {
        try FlagCheck.range(steps, in: 150...5000, flag: "--steps", reason: "the checks are claims about a run of at least 150 steps")
        try FlagCheck.range(threads, in: 1...8, flag: "--threads")
        try FlagCheck.range(fullRunSteps, in: 1...100_000, flag: "--full-run-steps")
        for w in widths { try FlagCheck.range(w, in: 4...1024, flag: "--widths") }
        try FlagCheck.range(fullRunLength, in: 4...1024, flag: "--full-run-length")
        try FlagCheck.range(fullRunVocabulary, in: 4...4096, flag: "--full-run-vocabulary")
        try FlagCheck.range(fullRunBatch, in: 1...1024, flag: "--full-run-batch")
        for p in pairs { try FlagCheck.range(p, in: 1...64, flag: "--pairs") }
        for r in learningRates where !(r > 0 && r < 1) {
            throw ValidationError("--learning-rates must each be in (0, 1), got \(r).")
        }
        guard !widths.isEmpty, !pairs.isEmpty, !learningRates.isEmpty else {
            throw ValidationError("--widths, --pairs and --learning-rates each need at least one value.")
        }
        if fullRun || redrawFigures {
            guard !page.markdown && !page.writePage else {
                throw ValidationError("--full-run prints to the terminal and writes measured figures and a record; it cannot go on a page.")
            }
            #if DEBUG
            throw ValidationError("--full-run trains for many minutes and is meant for a release build: swift run -c release chapter13 --full-run")
            #endif
        }
    }

    func run() throws {
        let nb = Notebook(title: "13 — What a fixed state cannot do", command: "chapter13", options: page)
        if redrawFigures {
            try GridFigures.write(RecallRecord.read(from: Self.root), root: Self.root)
            nb.say("wrote \(GridFigures.widthPath), \(GridFigures.statePath) from \(RecallRecord.path)")
            return
        }
        if fullRun {
            try FullRun(steps: fullRunSteps, length: fullRunLength, vocabulary: fullRunVocabulary, batchSize: fullRunBatch,
                        widths: widths, pairs: pairs, learningRates: learningRates, threads: threads,
                        seed: seed, root: Self.root).run(nb)
            return
        }
        try narrate(nb)
        try nb.finish()
    }

    func narrate(_ nb: Notebook) throws {
        nb.prose("""
            Every chapter so far showed what retention does well: a state of fixed size, O(1) work
            per token, the same outputs as attention's parallel form. This chapter shows its price.
            A state of d_k × d_v numbers can hold only so many facts, and a task that asks for many
            of them back — associative recall — is where the RetNet and its linear-attention
            cousins fall behind attention, whose KV cache grows with what it has read. The theory
            first, as checks on constructed keys; then the three models trained on the task.
            """)
        try theState(nb)
        try theTask(nb)
        try theSmallRun(nb)
        try theGrid(nb)
    }
}

Chapter13.main()
