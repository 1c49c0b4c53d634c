import ArgumentParser
import ChapterSupport
import Diagonalisation
import Foundation
import Layers
import Matrices
import MultiScaleRetention
import Notebook
import Retention
import RetNetModel
import SafeTensors
import TorchscaleCheckpoint

struct Chapter10: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chapter10",
        abstract: "10 — Gradients: the backward pass of each retention form, of the layer, and of the whole RetNet.")

    @Option(help: "Sequence length n (1…64; --dim and --value-dim at most 16): every entry's finite difference reruns the form.")
    var length = 8

    @Option(help: "Chunk size B of the chunkwise backward pass (any B ≥ 1; it need not divide n).")
    var chunkSize = 3

    @Option(help: "Seed of the random inputs, weights and output gradients.")
    var seed: UInt64 = 10

    @OptionGroup var sizes: SingleHeadSizes

    @Option(help: "A torchscale checkpoint directory with torch's gradients (gradients.json, gradients.safetensors).")
    var checkpoint = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/torchscale/two-heads-swish-wide-values").path

    @OptionGroup var page: PageOptions

    func validate() throws {
        try FlagCheck.range(length, in: 1...64, flag: "--length", reason: "every entry's finite difference reruns the form")
        guard sizes.dim <= 16, sizes.valueDim <= 16 else {
            throw ValidationError("--dim and --value-dim must be at most 16 (every entry's finite difference reruns the form), got \(sizes.dim) and \(sizes.valueDim).")
        }
        try FlagCheck.chunkSize(chunkSize)
    }

    func run() throws {
        let nb = Notebook(title: "10 — Gradients", command: "chapter10", options: page)
        try narrate(nb)
        try nb.finish()
    }

    /// (L(x + h) − L(x − h)) / ((x + h) − (x − h)) for every entry x of `m`, one entry moved at a time.
    func centralDifferences(of m: Matrix<Double>, step h: Double, _ loss: (Matrix<Double>) throws -> Double) rethrows
        -> Matrix<Double>
    {
        var moved = m
        return try Matrix(rows: m.rows, columns: m.columns) { i, j in
            let x = m[i, j]
            moved[i, j] = x + h
            let up = try loss(moved)
            moved[i, j] = x - h
            let down = try loss(moved)
            moved[i, j] = x
            return (up - down) / ((x + h) - (x - h))
        }
    }

    /// L = Σ_ij O_ij W_ij: a scalar whose gradient with respect to O is W.
    func weightedSum<E: RealScalar>(_ o: Matrix<E>, _ w: Matrix<E>) -> E {
        zip(o.storage, w.storage).reduce(0) { $0 + $1.0 * $1.1 }
    }

    func narrate(_ nb: Notebook) throws {
        nb.prose("""
            Chapters 03–05 computed retention three ways; training needs the other direction too: how a
            scalar loss L changes with every number that went in. This chapter derives the backward
            pass of each form from its forward pass, checks each against finite differences and
            against the others, then climbs to the norm and gate of chapter 06 and to the whole RetNet
            of chapter 07, whose gradients are compared with torch autograd's on a torchscale
            checkpoint. No autodiff: every backward pass is a handful of explicit matrix products.
            """)
        let example = try parallelForm(nb)
        try recurrentForm(nb, example)
        try chunkwiseForm(nb, example)
        try normAndGate(nb)
        try againstTorchAutograd(nb)
        try lossAndBlock(nb)
        try softmaxAttention(nb)
        try howFarAGradientReaches(nb)
    }
}

Chapter10.main()
