// swift-tools-version: 6.2
//
// RetNet, derived and verified. The package reads as a layer diagram, foundation first:
//
//   foundation        Matrices, Tracing                          (dense matrices, seeded generator, formatting; what the
//                                                                 retention forms record when asked)
//   chapter concepts  Recurrence → Diagonalisation → Retention   (chapters 01–05: a recurrence, its diagonal, one head)
//                     → Layers                                   (what every decoder shares: norms, FFN, rotation, loss, sampler)
//                     → MultiScaleRetention → RetNetModel        (chapters 06–07: the RetNet)
//                     Layers → Transformer                       (the baseline: the same layers around softmax attention)
//                     DecodingCosts                              (chapter 09: what decoding costs each; the matched Transformer)
//   fast path         Kernels                                    (SIMD GEMM, vectorised exp and erf, threads: no model in it)
//                     → FastRetention, FastLayers                (retention's kernels; the layers every fast decoder shares)
//                     → FastRetNet | FastTransformer | FastTraining  (the models on the kernels; training's one block, generic
//                                                                 over its token mixer: retention, softmax or linear attention)
//                     Measuring                                  (rounding bounds, the FMA peak, timing, the machine)
//   generation        Generation                                 (one sampling loop over the four decoders, a sliding window optional)
//   interop           SafeTensors → TorchscaleCheckpoint          (torchscale 0.3.0 checkpoints)
//                     SafeTensors → YetAnotherRetNetCheckpoint    (yet-another-retnet 0.5.1's, the paper's variant)
//   training          Training                                   (tiny Shakespeare, AdamW, checkpoints that resume)
//                     → Recall                                   (chapter 13: the MQAR task, three models trained on it alike)
//   figures           Graphs → GraphvizRendering, Plots, RetentionFigures
//   the book          Notebook → ChapterSupport → chapterNN       (sources and pages in Chapters/NN-slug/)
//   executables       retnet, bench (its JSON result type in Benchmarks, their shared model flags in ModelOptions), figures, pages
//   tests             TestSupport, AllocationCounting and one test target per module
//
// Each module depends only on modules above it in this list.

import PackageDescription

/// Release builds of the SIMD code target this machine's CPU. Without it, x86-64 code is
/// compiled for the baseline (SSE2, no FMA) and every lane of `SIMD16<Float>.addingProduct`
/// becomes a call to `fmaf`. Debug builds stay portable; other architectures get no flag.
///
/// `RETNET_AVX2=1` in the environment builds for x86-64-v3 instead (AVX2 and FMA, 16 vector
/// registers of 256 bits, no AVX-512 instruction) and defines `AVX2_BUILD`, with which the GEMM
/// takes AVX2's register tile whatever the CPU reports: the AVX2 path, measured on an AVX-512
/// machine. Give such a build a scratch path of its own (README, Benchmarks).
#if arch(x86_64)
let avx2Build = Context.environment["RETNET_AVX2"] == "1"
let nativeCPU: [SwiftSetting] = avx2Build
    ? [.unsafeFlags(["-Xcc", "-march=x86-64-v3"], .when(configuration: .release)), .define("AVX2_BUILD", .when(configuration: .release))]
    : [.unsafeFlags(["-Xcc", "-march=native"], .when(configuration: .release))]
#else
let nativeCPU: [SwiftSetting] = []
#endif

/// `-fno-math-errno` for the optimiser's kernel (`FastTraining`'s `ParameterUpdate`): on Linux
/// `Float.squareRoot()` is C's `__builtin_sqrtf`, which with `errno` semantics is a call to `sqrtf`
/// per value, and a loop of them is never vectorised; without `errno` it is the instruction
/// (`vsqrtps`). The result is the correctly rounded √ either way: no bit changes.
let vectorSquareRoot: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-fno-math-errno"], .when(configuration: .release))]

let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")

/// A chapter executable: `swift run chapterNN`, source and page in `Chapters/<folder>/`.
func chapter(_ number: String, _ folder: String, uses modules: [Target.Dependency], alsoExcluding extra: [String] = []) -> Target {
    .executableTarget(
        name: "chapter\(number)",
        dependencies: ["Notebook", "ChapterSupport", "Matrices", argumentParser] + modules,
        path: "Chapters/\(folder)",
        exclude: ["README.md"] + extra
    )
}

let package = Package(
    name: "RetNet",
    products: [
        // The modules a user of the library depends on.
        .library(name: "Matrices", targets: ["Matrices"]),
        .library(name: "Recurrence", targets: ["Recurrence"]),
        .library(name: "Diagonalisation", targets: ["Diagonalisation"]),
        .library(name: "Retention", targets: ["Retention"]),
        .library(name: "Layers", targets: ["Layers"]),
        .library(name: "MultiScaleRetention", targets: ["MultiScaleRetention"]),
        .library(name: "RetNetModel", targets: ["RetNetModel"]),
        .library(name: "Transformer", targets: ["Transformer"]),
        .library(name: "DecodingCosts", targets: ["DecodingCosts"]),
        .library(name: "Kernels", targets: ["Kernels"]),
        .library(name: "FastRetention", targets: ["FastRetention"]),
        .library(name: "FastLayers", targets: ["FastLayers"]),
        .library(name: "FastRetNet", targets: ["FastRetNet"]),
        .library(name: "FastTransformer", targets: ["FastTransformer"]),
        .library(name: "FastTraining", targets: ["FastTraining"]),
        .library(name: "Generation", targets: ["Generation"]),
        .library(name: "SafeTensors", targets: ["SafeTensors"]),
        .library(name: "TorchscaleCheckpoint", targets: ["TorchscaleCheckpoint"]),
        .library(name: "YetAnotherRetNetCheckpoint", targets: ["YetAnotherRetNetCheckpoint"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Recall", targets: ["Recall"]),
        // The commands.
        .executable(name: "retnet", targets: ["retnet"]),
        .executable(name: "bench", targets: ["bench"]),
        .executable(name: "figures", targets: ["figures"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // MARK: Foundation

        // Dense matrices over Double, Float or Complex (re-exports swift-numerics' RealModule and
        // ComplexModule), a seeded SplitMix64 generator, fixed-precision formatting.
        .target(
            name: "Matrices",
            dependencies: [
                .product(name: "RealModule", package: "swift-numerics"),
                .product(name: "ComplexModule", package: "swift-numerics"),
            ]
        ),
        // Records what the retention code paths compute, when asked to (the `trace:` arguments).
        .target(name: "Tracing", dependencies: ["Matrices"]),

        // MARK: One module per chapter concept

        // Chapter 01: a linear recurrence, linear attention, softmax attention.
        .target(name: "Recurrence", dependencies: ["Matrices"]),
        // Chapter 02: diagonalising the transition, xPos, rotation as real pairs.
        .target(name: "Diagonalisation", dependencies: ["Matrices"]),
        // Chapters 03–05: single-head retention in its parallel, recurrent and chunkwise forms.
        .target(name: "Retention", dependencies: ["Matrices", "Tracing"]),
        // The layers every decoder shares, each with its backward pass: the block norms, the FFN,
        // the activations, the rotary position rotation, the next-token loss, the sampler.
        .target(name: "Layers", dependencies: ["Matrices", "Diagonalisation", "Tracing"]),
        // Chapter 06: gated multi-scale retention (heads with their own γ, per-head norm, swish gate).
        .target(name: "MultiScaleRetention", dependencies: ["Matrices", "Retention", "Layers", "Tracing"]),
        // Chapter 07: the whole RetNet, in the paper's variant and torchscale 0.3.0's.
        .target(name: "RetNetModel", dependencies: ["Matrices", "Retention", "Layers", "MultiScaleRetention", "Tracing"]),
        // The Transformer decoder of a RetNet's shape (softmax attention, KV cache) on the same
        // layers: the baseline for the inference-cost comparison.
        .target(name: "Transformer", dependencies: ["Matrices", "Recurrence", "Layers"]),
        // Chapter 09: what decoding costs each model (bytes held and read, multiply–adds, the
        // memory-bound step, the paper's 6.7B shape, weights counted), and the Transformer matched
        // to a RetNet's configuration.
        .target(
            name: "DecodingCosts",
            dependencies: ["Matrices", "Retention", "Layers", "MultiScaleRetention", "RetNetModel", "Transformer"]
        ),

        // MARK: Fast path (chapter 08 on): Kernels → FastRetention, FastLayers → FastRetNet | FastTransformer | FastTraining

        // Float SIMD kernels with no model in them: the GEMM ladder (GEMM/), vectorised exp and
        // erf (VectorMath/), work split between threads (Threads/).
        .target(name: "Kernels", dependencies: ["Matrices"], swiftSettings: nativeCPU),
        // Retention's three forms as Float kernels on the GEMM (against the reference `Retention`).
        .target(name: "FastRetention", dependencies: ["Matrices", "Retention", "Kernels"], swiftSettings: nativeCPU),
        // The layers every fast decoder shares, on rows of flat Float buffers: packed linear maps and
        // FFN, the one implementation of the norms and activations (forward and backward), rotation
        // tables, buffers. No model in it.
        .target(
            name: "FastLayers",
            dependencies: ["Matrices", "Layers", "MultiScaleRetention", "Kernels"],
            swiftSettings: nativeCPU
        ),
        // Measuring the kernels: rounding-error bounds against exact references, the FMA peak, a stopwatch,
        // and the machine a measurement names (its CPU, load and date).
        .target(name: "Measuring", dependencies: ["Matrices", "Retention", "Kernels", "FastRetention"], swiftSettings: nativeCPU),
        // A RetNet<Float> on the kernels: GEMMs for every projection, retention kernels per head, decoding.
        .target(
            name: "FastRetNet",
            dependencies: ["Matrices", "Retention", "Layers", "MultiScaleRetention", "RetNetModel", "Kernels", "FastRetention",
                           "FastLayers"],
            swiftSettings: nativeCPU
        ),
        // The Transformer's decoding step in Float on the same kernels (the baseline, measured alike).
        .target(
            name: "FastTransformer",
            dependencies: ["Matrices", "Layers", "Transformer", "Kernels", "FastLayers"],
            swiftSettings: nativeCPU
        ),

        // The loss and every weight's gradient of a decoder in Float for a batch of sequences, on the
        // same kernels (chapter 10's backward pass, fast): one block generic over its token mixer
        // (retention, softmax attention, …), one driver. What training steps on.
        .target(
            name: "FastTraining",
            dependencies: ["Matrices", "Retention", "Layers", "MultiScaleRetention", "RetNetModel", "Transformer", "Kernels",
                           "FastRetention", "FastLayers"],
            swiftSettings: nativeCPU + vectorSquareRoot
        ),

        // MARK: Generation

        // One generation loop (prompt, count, sampler, nanoGPT's sliding window) over every decoder: RetNet, FastRetNet, Transformer, FastTransformer.
        .target(
            name: "Generation",
            dependencies: ["Matrices", "Layers", "MultiScaleRetention", "RetNetModel", "Transformer", "FastRetNet", "FastTransformer"]
        ),

        // MARK: Interop

        // safetensors I/O, written by hand (no Swift package for it is available).
        .target(name: "SafeTensors"),
        // Loading torchscale 0.3.0 RetNetDecoder checkpoints (config.json + model.safetensors).
        .target(name: "TorchscaleCheckpoint", dependencies: ["Matrices", "Layers", "MultiScaleRetention", "RetNetModel", "SafeTensors"]),
        // Loading yet-another-retnet 0.5.1 RetNet checkpoints (its keyword arguments + state dict): the paper's
        // variant from an independent implementation, with biases and no final norm.
        .target(
            name: "YetAnotherRetNetCheckpoint",
            dependencies: ["Matrices", "Diagonalisation", "Layers", "MultiScaleRetention", "RetNetModel", "SafeTensors"]
        ),

        // MARK: Training (chapter 11)

        // Training a RetNet<Float> on tiny Shakespeare (shipped as a resource, with its attribution):
        // the character tokenizer, seeded batches, AdamW, the schedule, the trainer, checkpoints, a progress line.
        .target(
            name: "Training",
            dependencies: ["Matrices", "Layers", "MultiScaleRetention", "RetNetModel", "Transformer", "SafeTensors", "TorchscaleCheckpoint",
                           "FastRetNet", "FastTraining"],
            resources: [.copy("Resources/tinyshakespeare.txt"), .copy("Resources/README.md")]
        ),

        // Chapter 13: multi-query associative recall (Zoology's MQAR), a task whose loss counts the
        // answers only, and the RetNet, linear attention and the Transformer trained on it alike.
        .target(name: "Recall", dependencies: ["Matrices", "RetNetModel", "Transformer", "DecodingCosts", "FastTraining", "Training"]),

        // MARK: Figures

        // A computation graph as a value, written as DOT text in pure Swift.
        .target(name: "Graphs"),
        // The Graphviz C libraries (libgvc, libcgraph), from the system: apt-get install libgraphviz-dev.
        .systemLibrary(name: "CGraphviz", pkgConfig: "libgvc", providers: [.apt(["libgraphviz-dev"])]),
        // Renders a Graph to SVG or PNG in-process with libgvc.
        .target(name: "GraphvizRendering", dependencies: ["CGraphviz", "Graphs"]),
        // Line plots and heatmaps as deterministic SVG, written by hand (no plotting package is available).
        .target(name: "Plots", dependencies: ["Matrices"]),
        // The figures, traced from real runs: the three retention forms, multi-scale retention, a block;
        // and the modelled costs of decoding (chapter 09).
        .target(
            name: "RetentionFigures",
            dependencies: ["Matrices", "Diagonalisation", "Retention", "Layers", "MultiScaleRetention", "RetNetModel", "Transformer",
                           "DecodingCosts", "Tracing", "Graphs", "Plots"]
        ),

        // MARK: The book

        // The notebook runtime: prose, equations, tables, checks, and the generated pages.
        .target(name: "Notebook", dependencies: ["Matrices"]),
        // The chapters' command lines: page flags, shared flag groups and checks, exit codes.
        .target(name: "ChapterSupport", dependencies: ["Notebook", argumentParser]),

        chapter("01", "01-a-state-that-remembers", uses: ["Recurrence"]),
        chapter("02", "02-diagonalising-the-transition", uses: ["Recurrence", "Diagonalisation"]),
        chapter("03", "03-the-parallel-form", uses: ["Diagonalisation", "Retention"]),
        chapter("04", "04-the-recurrent-form", uses: ["Diagonalisation", "Retention"]),
        chapter("05", "05-the-chunkwise-form", uses: ["Diagonalisation", "Retention"]),
        chapter("06", "06-gated-multi-scale-retention", uses: ["Retention", "Layers", "MultiScaleRetention"]),
        chapter("07", "07-the-retnet", uses: ["Retention", "Layers", "MultiScaleRetention", "RetNetModel", "TorchscaleCheckpoint",
                                              "YetAnotherRetNetCheckpoint", "Generation"]),
        chapter("08", "08-simd-kernels", uses: ["Retention", "Kernels", "FastRetention", "Measuring"], alsoExcluding: ["benchmarks"]),
        chapter("09", "09-what-inference-costs", uses: ["Retention", "MultiScaleRetention", "RetNetModel", "Transformer", "DecodingCosts",
                                                        "FastRetNet", "FastTransformer", "Measuring", "Plots"]),
        chapter("10", "10-gradients", uses: ["Recurrence", "Diagonalisation", "Retention", "Layers", "MultiScaleRetention", "RetNetModel",
                                             "TorchscaleCheckpoint", "SafeTensors", "Plots"]),
        chapter("11", "11-learning-shakespeare", uses: ["MultiScaleRetention", "RetNetModel", "Transformer", "DecodingCosts", "FastRetNet", "FastTransformer", "FastTraining",
                                                        "TorchscaleCheckpoint", "Training", "Generation", "Measuring", "Plots", "Retention"],
                alsoExcluding: ["records"]),
        chapter("12", "12-training-on-long-sequences", uses: ["MultiScaleRetention", "RetNetModel", "Transformer", "DecodingCosts",
                                                              "FastTraining", "Measuring", "Plots", "FastRetNet", "FastTransformer",
                                                              "Training", "Generation"], alsoExcluding: ["benchmarks", "records"]),
        chapter("13", "13-what-a-fixed-state-cannot-do", uses: ["Retention", "Recall", "Plots", "Measuring"], alsoExcluding: ["records"]),

        // MARK: Executables

        // The model-shape and batch flags `retnet train` and `bench training` share: one spelling and one
        // default each, so the benchmark times the model the command trains.
        .target(name: "ModelOptions", dependencies: ["RetNetModel", argumentParser]),

        // `swift run -c release retnet logits|generate|inspect|gradients --checkpoint DIR …`, `retnet train --out DIR …`
        .executableTarget(
            name: "retnet",
            dependencies: ["Matrices", "Layers", "MultiScaleRetention", "RetNetModel", "Transformer", "DecodingCosts", "SafeTensors",
                           "TorchscaleCheckpoint", "FastRetNet", "FastTransformer", "FastTraining", "Training", "Generation",
                           "ModelOptions", argumentParser]
        ),
        // The JSON line every benchmark result is printed as (read back by BenchTests).
        .target(name: "Benchmarks"),
        // `swift run -c release bench gemm|peak|retention|model|decode|training …`: every benchmark, one JSON object per result.
        .executableTarget(
            name: "bench",
            dependencies: ["Benchmarks", "Matrices", "Retention", "Kernels", "Measuring", "MultiScaleRetention", "RetNetModel",
                           "TorchscaleCheckpoint", "FastRetNet", "Transformer", "DecodingCosts", "FastTransformer", "FastTraining",
                           "Training", "ModelOptions", argumentParser],
            exclude: ["compare_gemm.py", "compare_retnet.py", "compare_decode.py", "compare_training.py",
                      "compare_long_training.py", "peers.py"]
        ),
        // `swift run figures` writes Figures/*.dot, *.svg and *.png.
        .executableTarget(name: "figures", dependencies: ["RetentionFigures", "Graphs", "GraphvizRendering", argumentParser]),
        // `swift run pages` regenerates every chapter's notebook page (or checks them with --check).
        .executableTarget(name: "pages", dependencies: [argumentParser]),

        // MARK: Tests

        // Shared by the test targets: expectations on matrices, seeded inputs, the package's
        // committed files (torchscale fixtures, chapters), the runner for built products and
        // the count of a body's heap allocations.
        .target(name: "TestSupport", dependencies: ["Matrices", "AllocationCounting"], path: "Tests/TestSupport"),
        // Counts the calling thread's heap allocations (malloc and its siblings, defined in the
        // test executable; glibc only): FastRetNet's decoding is checked to allocate nothing.
        .target(name: "AllocationCounting", path: "Tests/AllocationCounting"),

        .testTarget(name: "MatricesTests", dependencies: ["Matrices", "TestSupport"]),
        .testTarget(name: "RecurrenceTests", dependencies: ["Recurrence", "Matrices", "TestSupport"]),
        .testTarget(name: "DiagonalisationTests", dependencies: ["Diagonalisation", "Recurrence", "Matrices", "TestSupport"]),
        .testTarget(
            name: "RetentionTests",
            dependencies: ["Retention", "Matrices", "TestSupport", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(name: "LayersTests", dependencies: ["Layers", "Matrices", "TestSupport"]),
        .testTarget(name: "MultiScaleRetentionTests", dependencies: ["MultiScaleRetention", "Layers", "Retention", "Matrices", "TestSupport"]),
        .testTarget(name: "RetNetModelTests", dependencies: ["RetNetModel", "Layers", "MultiScaleRetention", "Retention", "Matrices", "TestSupport"]),
        // The Transformer's tests build it matched to a tiny RetNet (`TransformerConfig(matching:)`, in DecodingCosts).
        .testTarget(name: "TransformerTests", dependencies: ["Transformer", "Layers", "DecodingCosts", "RetNetModel", "Matrices", "TestSupport"]),
        .testTarget(name: "DecodingCostsTests", dependencies: ["DecodingCosts", "RetNetModel", "Transformer", "Matrices", "TestSupport"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "FastRetention", "Measuring", "Retention", "Matrices", "TestSupport"]),
        .testTarget(
            name: "FastRetNetTests",
            dependencies: ["FastRetNet", "RetNetModel", "TorchscaleCheckpoint", "Layers", "MultiScaleRetention", "Matrices", "TestSupport"]
        ),
        .testTarget(
            name: "FastTrainingTests",
            dependencies: ["FastTraining", "MultiScaleRetention", "RetNetModel", "Transformer", "DecodingCosts", "Matrices", "TestSupport"]
        ),
        .testTarget(
            name: "FastTransformerTests",
            dependencies: ["FastTransformer", "Transformer", "DecodingCosts", "RetNetModel", "Matrices", "TestSupport"]
        ),
        // Every decoder through the one loop: the tokens and logits of a loop written by hand, the window, the checks.
        .testTarget(
            name: "GenerationTests",
            dependencies: ["Generation", "RetNetModel", "Transformer", "FastRetNet", "FastTransformer", "DecodingCosts", "Layers",
                           "MultiScaleRetention", "TorchscaleCheckpoint", "Matrices", "TestSupport"]
        ),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "TestSupport"]),
        .testTarget(
            name: "TorchscaleCheckpointTests",
            dependencies: ["TorchscaleCheckpoint", "Layers", "MultiScaleRetention", "SafeTensors", "Matrices", "TestSupport"]
        ),
        .testTarget(
            name: "YetAnotherRetNetCheckpointTests",
            dependencies: ["YetAnotherRetNetCheckpoint", "RetNetModel", "FastRetNet", "FastTraining", "Layers", "MultiScaleRetention",
                           "Matrices", "TestSupport"]
        ),
        .testTarget(
            name: "TrainingTests",
            dependencies: ["Training", "Layers", "RetNetModel", "Transformer", "DecodingCosts", "FastTransformer", "FastTraining", "SafeTensors",
                           "Generation", "Matrices", "TestSupport"]
        ),
        .testTarget(name: "RecallTests", dependencies: ["Recall", "Matrices"]),
        .testTarget(name: "TracingTests", dependencies: ["Tracing", "Retention", "MultiScaleRetention", "RetNetModel", "Matrices"]),
        .testTarget(name: "GraphsTests", dependencies: ["Graphs"]),
        .testTarget(name: "PlotsTests", dependencies: ["Plots"]),
        .testTarget(name: "GraphvizRenderingTests", dependencies: ["GraphvizRendering", "Graphs"]),
        .testTarget(
            name: "RetentionFiguresTests",
            dependencies: ["RetentionFigures", "Graphs", "Tracing", "Retention", "MultiScaleRetention", "Matrices", "TestSupport"]
        ),
        .testTarget(name: "NotebookTests", dependencies: ["Notebook", "Matrices"]),
        .testTarget(name: "ChapterSupportTests", dependencies: ["ChapterSupport", "Notebook", argumentParser]),
        // Runs the built `bench` executable: its JSON lines and its usage errors.
        .testTarget(name: "BenchTests", dependencies: ["Benchmarks", "TestSupport"]),
        // Runs the built chapter executables and compares their pages with the committed ones.
        .testTarget(name: "ChapterTests", dependencies: ["TestSupport", "Matrices"]),
    ]
)
