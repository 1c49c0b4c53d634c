import ArgumentParser
import ChapterSupport
import Layers
import Matrices
import MultiScaleRetention
import Notebook
import Retention

struct Chapter06: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chapter06",
        abstract: "06 — Gated multi-scale retention (Sec. 2.2): h heads with their own γ, per-head norm, swish gate.")

    @Option(help: "Sequence length n.")
    var length = 12

    @Option(help: "Model width E (decoder_embed_dim); a multiple of --heads with E/h even.")
    var dim = 16

    @Option(help: "Value width V (decoder_value_embed_dim; the paper uses 2E); a multiple of --heads.")
    var valueDim = 32

    @Option(help: "Number of heads h, each with its own γ.")
    var heads = 4

    @Option(help: "Chunk size B of the chunkwise form (any B ≥ 1).")
    var chunkSize = 5

    @Option(help: "The ε > 0 whose effect the last section measures (torchscale's default is 1e-6).")
    var eps = 1e-6

    @Option(help: "Seed of the random inputs and weights.")
    var seed: UInt64 = 6

    @OptionGroup var page: PageOptions

    func validate() throws {
        try FlagCheck.range(length, in: 2...1_000, flag: "--length", reason: "the hand-off splits the sequence")
        try FlagCheck.range(heads, in: 1...24, flag: "--heads")
        guard dim >= 2, dim <= 512, dim % heads == 0, (dim / heads) % 2 == 0 else {
            throw ValidationError("--dim must be in 2...512 and a multiple of --heads = \(heads) with an even quotient "
                                  + "(each head's queries and keys are rotated in pairs), got \(dim).")
        }
        guard valueDim >= 2 * heads, valueDim <= 1_024, valueDim % heads == 0 else {
            throw ValidationError("--value-dim must be in \(2 * heads)...1024 and a multiple of --heads = \(heads), giving "
                                  + "each head at least 2 value columns (GroupNorm over a single value has variance 0, "
                                  + "and 0/0 at ε = 0), got \(valueDim).")
        }
        try FlagCheck.chunkSize(chunkSize)
        guard eps > 0, eps <= 1e-2 else { throw ValidationError("--eps must be in (0, 0.01], got \(eps).") }
    }

    func run() throws {
        let nb = Notebook(title: "06 — Gated multi-scale retention", command: "chapter06", options: page)
        try narrate(nb)
        try nb.finish()
    }

    func narrate(_ nb: Notebook) throws {
        nb.prose("""
            Chapters 03–05 computed one head of retention three ways. A RetNet layer runs h heads side by
            side, each with its own decay γ, normalises each head's output on its own, and gates the
            result (paper Sec. 2.2). This chapter builds that layer from the `Retention` module's three
            forms, then looks closely at the paper's score normalisations: why they change nothing, and
            when they do.
            """)
        let (eq8, float32) = try manyHeads(nb)
        var rng = SplitMix64(seed: seed)
        let example = try theLayer(nb, gammas: eq8, using: &rng)
        try scoreNormalisations(nb, example)
        try normalisationsInHalfPrecision(nb)
        try positiveEpsilon(nb, example, gammas: float32, using: &rng)
    }
}

Chapter06.main()
