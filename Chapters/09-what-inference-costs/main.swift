import ArgumentParser
import ChapterSupport
import DecodingCosts
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
            swift run -c release chapter09 --measure (terminal and Figures/*-measured.svg; the page shows a dated record).
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

    @Option(help: "M: sequences decoded together in the comparison (1…\(Self.maximumBatch)).")
    var batch = 8

    @Option(help: "Seed of the small models' weights and tokens.")
    var seed: UInt64 = 9

    @Flag(help: "Time both fast decoders (release builds only): latency against context, tokens/s against batch; writes Figures/decode-*-measured.svg.")
    var measure = false

    @Option(help: "Threads of both fast decoders when measuring, 1...64.")
    var threads = 1

    @Option(help: "The fixed context of the measured batch sweep (128…4096).")
    var measureContext = 1_024

    @OptionGroup var page: PageOptions

    static let maximumContext = 1 << 20
    static let maximumBatch = 1_024

    func validate() throws {
        try FlagCheck.range(layers, in: 1...4, flag: "--layers", reason: "a checked reference model")
        try FlagCheck.range(heads, in: 1...8, flag: "--heads")
        guard (2...64).contains(embedDim), embedDim % heads == 0, (embedDim / heads) % 2 == 0 else {
            throw ValidationError("--embed-dim must be in 2...64 with E/h even (rotations act on pairs), got E = \(embedDim), h = \(heads).")
        }
        guard (1...128).contains(valueDim), valueDim % heads == 0 else {
            throw ValidationError("--value-dim must be in 1...128 and a multiple of --heads = \(heads), got \(valueDim).")
        }
        try FlagCheck.range(ffnDim, in: 1...128, flag: "--ffn-dim")
        try FlagCheck.range(vocab, in: 2...64, flag: "--vocab")
        try FlagCheck.length(length, reason: "")
        try FlagCheck.range(length, in: 1...64, flag: "--length", reason: "the reference models run in Double")
        try FlagCheck.range(context, in: 1...Self.maximumContext, flag: "--context")
        try FlagCheck.range(batch, in: 1...Self.maximumBatch, flag: "--batch", reason: "a batch of 0 decodes nothing")
        try FlagCheck.range(threads, in: 1...64, flag: "--threads")
        try FlagCheck.range(measureContext, in: 128...4_096, flag: "--measure-context",
                            reason: "16 Transformer caches of up to 151 MB each")
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

    func narrate(_ nb: Notebook) throws {
        nb.prose("""
            The paper's headline is about inference: for a 7B model at 8k tokens, RetNet decodes
            8.4× faster than a Transformer with a key–value cache and saves 70% of the memory
            (Sec. 1; Fig. 1 adds 3.4× memory and 15.6× latency, and Fig. 6 draws all three against
            length and batch). This chapter derives where such numbers can
            come from, with nothing but the shapes: what each model keeps per sequence, and what one
            decoding step must read, write and compute. The bytes held and the weights are checked
            against what the reference models actually store; the counts are then applied to the
            benchmark shape (against a dated measurement) and to the paper's 6.7B model and its
            Transformer, saying which of its numbers the counts explain and which they do not.
            """)
        try decodersOfOneShape(nb)
        try whatAStepCosts(nb)
        try paperScale(nb)
        figures(nb)
        try measuredOnThisMachine(nb)
    }
}

Chapter09.main()
