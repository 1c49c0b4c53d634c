import ArgumentParser
import ChapterSupport
import FastRetNet
import FastTraining
import Foundation
import Generation
import Matrices
import MultiScaleRetention
import Notebook
import Plots
import RetNetModel
import TorchscaleCheckpoint
import Training

struct Chapter11: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chapter11",
        abstract: "11 — Learning Shakespeare: a tiny RetNet trained on tiny Shakespeare with AdamW, checkpointed, and sampled.",
        discussion: """
            The checks run on a small model trained for --iterations steps. The full run — the RetNet and its Transformer \
            baseline at nanoGPT's CPU-example budget, `retnet train`'s defaults — is a measurement: \
            swift run -c release chapter11 --full-run (terminal and Figures/training-full-measured.svg; the page shows a dated record).
            """)

    @Option(help: "Optimiser steps (100…2000: the checks on the loss are claims about a model trained for at least 100 steps).")
    var iterations = 250

    @Option(help: "Seed of the initial weights, the batches and the samples.")
    var seed: UInt64 = 11

    @Option(help: "Threads for the gradients (1…8; the bits do not depend on it), here and in the full run.")
    var threads = 2

    @Flag(help: """
        Train the RetNet and the Transformer at nanoGPT's CPU-example budget (retnet train's defaults; release builds only, \
        minutes): progress in the terminal, a sample of each, Figures/training-full-measured.svg.
        """)
    var fullRun = false

    @Option(help: "Steps of --full-run (nanoGPT's budget is 2,000; fewer only to try the command: the figure says how many).")
    var fullRunIterations = 2000

    @Option(parsing: .upToNextOption, help: "Seeds of --full-run, 1 to 8 distinct ones: each draws both models' weights and the batches.")
    var fullRunSeeds: [UInt64] = [1337, 1338, 1339]

    @Flag(help: "Redraw Figures/training-full-measured.svg from the committed record (records/training-full.json) without training.")
    var redrawFigures = false

    @Flag(help: """
        Also write the trained model's config.json, model.safetensors and tokenizer.json into \
        Tests/Fixtures/torchscale-trained/chapter11, for record_trained_logits.py to run torchscale on.
        """)
    var writeFixture = false

    @OptionGroup var page: PageOptions

    /// Where the trained model and torchscale's logits for it are kept.
    static let fixture = root.appendingPathComponent("Tests/Fixtures/torchscale-trained/chapter11")

    /// The package root, from this file's path (Chapters/11-learning-shakespeare/main.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func validate() throws {
        try FlagCheck.range(iterations, in: 100...2000, flag: "--iterations",
                            reason: "the loss checks are claims about a model trained for at least 100 steps")
        try FlagCheck.range(threads, in: 1...8, flag: "--threads")
        try FlagCheck.range(fullRunIterations, in: 1...100_000, flag: "--full-run-iterations")
        try FlagCheck.range(fullRunSeeds.count, in: 1...8, flag: "--full-run-seeds (how many)")
        guard Set(fullRunSeeds).count == fullRunSeeds.count else {
            throw ValidationError("--full-run-seeds repeats a seed (\(fullRunSeeds.map(String.init).joined(separator: ", "))): a repeated seed adds no spread.")
        }
        if fullRun && redrawFigures {
            throw ValidationError("--redraw-figures redraws the committed record; --full-run writes a new one: choose one.")
        }
        if fullRun || redrawFigures {
            guard !page.markdown && !page.writePage else {
                throw ValidationError("--full-run and --redraw-figures write measured figures; they cannot go on a page.")
            }
            #if DEBUG
            guard !fullRun else {
            throw ValidationError("--full-run trains for minutes on the kernels and is meant for a release build: swift run -c release chapter11 --full-run")
            }
            #endif
        }
    }

    func run() throws {
        let nb = Notebook(title: "11 — Learning Shakespeare", command: "chapter11", options: page)
        try narrate(nb)
        try nb.finish()
    }

    /// A sample of `count` characters after `prompt`: the prompt read chunkwise, then decoded
    /// recurrently on the kernels, drawn at temperature 0.8 with `seed`.
    static func sample(_ model: RetNet<Float>, _ tokenizer: CharacterTokenizer, prompt: String, count: Int, seed: UInt64) throws -> String {
        let ids = try tokenizer.encode(prompt)
        let generated = try FastRetNet(model).generate(prompt: ids, count: count, sampler: .temperature(0.8, seed: seed),
                                                       prefill: .chunkwise(chunkSize: 4))
        return try tokenizer.decode(ids + generated.tokens)
    }

    func narrate(_ nb: Notebook) throws {
        nb.prose("""
            Chapters 07 and 10 built a RetNet and its gradients; until now its weights were random or
            somebody else's. This chapter trains one: a tiny RetNet reads tiny Shakespeare — a million
            characters of the plays — one character at a time, and learns to predict the next. Its
            gradients here are chapter 10's explicit backward pass, sequence by sequence
            (`ReferenceGradients`); the rest is the loop around it: batches, a loss, AdamW, a
            learning-rate schedule, clipping, evaluations, checkpoints. The run is short enough for a
            debug build, so the model stays small and the text it writes stays rough, but the loss
            falls far enough to check that it learned something real. `retnet train` and the full run
            at the end take the same gradients from the SIMD kernels of chapter 08 (`FastGradients`).
            """)
        let (corpus, tokenizer, yardsticks) = try theText(nb)
        let (config, initial, settings) = try theLoss(nb, tokenizer: tokenizer)
        try adamW(nb, initial: initial)
        try scheduleAndClipping(nb, settings: settings)
        let (trainer, source) = try training(nb, corpus: corpus, initial: initial, settings: settings, yardsticks: yardsticks)
        try sameGradientsOnTheKernels(nb, corpus: corpus, settings: settings, config: config, initial: initial, trainer: trainer,
                                      source: source)
        let trained = try oneModelThreeForms(nb, corpus: corpus, settings: settings, trainer: trainer)
        let loaded = try checkpoint(nb, trainer: trainer, trained: trained, tokenizer: tokenizer)
        try whatItWrites(nb, initial: initial, loaded: loaded, tokenizer: tokenizer)
        try theFullRun(nb, yardsticks: yardsticks)
    }
}

Chapter11.main()
