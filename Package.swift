// swift-tools-version: 6.1
//
// RetNet, derived and verified. The folder tree reads as the table of contents:
// each chapter's library module depends only on earlier ones, and each chapter is an
// executable whose source (and generated notebook page) lives in `Chapters/NN-slug/`.

import PackageDescription

/// A chapter executable: `swift run chapterNN`, source and page in `Chapters/<folder>/`.
func chapter(_ number: String, _ folder: String, uses modules: [String]) -> Target {
    .executableTarget(
        name: "chapter\(number)",
        dependencies: ["Notebook", "Matrices"]
            + modules.map { Target.Dependency(stringLiteral: $0) }
            + [.product(name: "ArgumentParser", package: "swift-argument-parser")],
        path: "Chapters/\(folder)",
        exclude: ["README.md"]
    )
}

/// Release builds of the SIMD kernels target this machine's CPU. Without it, x86-64 code is
/// compiled for the baseline (SSE2, no FMA) and every lane of `SIMD16<Float>.addingProduct`
/// becomes a call to `fmaf`. Debug builds stay portable; other architectures get no flag.
#if arch(x86_64)
let nativeCPU: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=native"], .when(configuration: .release))]
#else
let nativeCPU: [SwiftSetting] = []
#endif

let package = Package(
    name: "RetNet",
    products: [
        .library(name: "Matrices", targets: ["Matrices"]),
        .library(name: "Notebook", targets: ["Notebook"]),
        .library(name: "Recurrence", targets: ["Recurrence"]),
        .library(name: "Diagonalisation", targets: ["Diagonalisation"]),
        .library(name: "Retention", targets: ["Retention"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        // Foundation shared by every chapter: dense matrices, a seeded generator, formatting.
        .target(
            name: "Matrices",
            dependencies: [
                .product(name: "RealModule", package: "swift-numerics"),
                .product(name: "ComplexModule", package: "swift-numerics"),
            ]
        ),
        // The notebook runtime: prose, equations, tables, checks, and the generated pages.
        .target(
            name: "Notebook",
            dependencies: [
                "Matrices",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "RealModule", package: "swift-numerics"),
                .product(name: "ComplexModule", package: "swift-numerics"),
            ]
        ),
        // Chapter 01: a linear recurrence, linear attention, softmax attention.
        .target(
            name: "Recurrence",
            dependencies: ["Matrices", .product(name: "RealModule", package: "swift-numerics"), .product(name: "ComplexModule", package: "swift-numerics")]
        ),
        // Chapter 02: diagonalising the transition, xPos, rotation as real pairs.
        .target(
            name: "Diagonalisation",
            dependencies: [
                "Matrices", "Recurrence",
                .product(name: "RealModule", package: "swift-numerics"),
                .product(name: "ComplexModule", package: "swift-numerics"),
            ]
        ),
        // Chapters 03–05: single-head retention in its parallel, recurrent and chunkwise forms.
        .target(name: "Retention", dependencies: ["Matrices", "Tracing"]),

        // MARK: Multi-scale retention and the RetNet (chapters 06–07): add their targets here.
        // Chapter 06: gated multi-scale retention (heads with their own γ, per-head norm, swish gate).
        .target(name: "MultiScaleRetention", dependencies: ["Matrices", "Diagonalisation", "Retention", "Tracing"]),
        // Chapter 07: the whole RetNet, in the paper's variant and torchscale 0.3.0's.
        .target(name: "RetNetModel", dependencies: ["Matrices", "Retention", "MultiScaleRetention", "Tracing"]),

        // safetensors I/O, for loading torchscale checkpoints (no Swift package for it is available).
        .target(name: "SafeTensors"),

        // Loading torchscale 0.3.0 RetNetDecoder checkpoints (config.json + model.safetensors).
        .target(name: "TorchscaleCheckpoint", dependencies: ["SafeTensors", "RetNetModel", "MultiScaleRetention", "Matrices"]),
        // `swift run -c release retnet logits|generate|inspect --checkpoint DIR …`
        .executableTarget(
            name: "retnet",
            dependencies: [
                "TorchscaleCheckpoint", "RetNetModel", "MultiScaleRetention", "Matrices", "FastRetNet", "Kernels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: Computation graphs (Graphviz) and `swift run figures`: add their targets here.
        // A computation graph as a value, written as DOT text in pure Swift.
        .target(name: "Graphs"),
        // Records what the retention code paths compute, when asked to (the `trace:` arguments).
        .target(name: "Tracing", dependencies: ["Matrices"]),
        // The figures, traced from real runs: the three retention forms, multi-scale retention, a block.
        .target(
            name: "RetentionFigures",
            dependencies: ["Matrices", "Diagonalisation", "Retention", "MultiScaleRetention", "RetNetModel", "Tracing", "Graphs"]
        ),
        // `swift run figures` writes Figures/*.dot, *.svg and *.png.
        .executableTarget(
            name: "figures",
            dependencies: [
                "RetentionFigures", "Graphs", "GraphvizRendering",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The Graphviz C libraries (libgvc, libcgraph), from the system: apt-get install libgraphviz-dev.
        .systemLibrary(name: "CGraphviz", pkgConfig: "libgvc", providers: [.apt(["libgraphviz-dev"])]),
        // Renders a Graph to SVG or PNG in-process with libgvc.
        .target(name: "GraphvizRendering", dependencies: ["CGraphviz", "Graphs"]),

        // MARK: SIMD kernels (chapter 08)
        // GEMM from naive loops to a packed, register-blocked, two-thread kernel; retention kernels.
        .target(name: "Kernels", dependencies: ["Matrices", "Retention"], swiftSettings: nativeCPU),
        // A RetNet<Float> on the kernels: GEMMs for every projection, retention kernels per head, decoding.
        .target(name: "FastRetNet", dependencies: ["Kernels", "RetNetModel", "MultiScaleRetention", "Retention", "Matrices"],
                swiftSettings: nativeCPU),
        // `swift run -c release bench gemm --size 1024 --threads 2`: the GEMM ladder's speed.
        .executableTarget(
            name: "bench",
            dependencies: ["Kernels", "Matrices", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            exclude: ["compare_gemm.py", "compare_retnet.py"]
        ),

        // `swift run pages` regenerates every chapter's notebook page (or checks them with --check).
        .executableTarget(
            name: "pages",
            dependencies: [
                "Notebook",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        chapter("01", "01-a-state-that-remembers", uses: ["Recurrence"]),
        chapter("02", "02-diagonalising-the-transition", uses: ["Recurrence", "Diagonalisation"]),
        chapter("03", "03-the-parallel-form", uses: ["Diagonalisation", "Retention"]),
        chapter("04", "04-the-recurrent-form", uses: ["Diagonalisation", "Retention"]),
        chapter("05", "05-the-chunkwise-form", uses: ["Diagonalisation", "Retention"]),
        chapter("06", "06-gated-multi-scale-retention", uses: ["Retention", "MultiScaleRetention"]),
        chapter("07", "07-the-retnet", uses: ["Retention", "MultiScaleRetention", "RetNetModel", "TorchscaleCheckpoint"]),
        chapter("08", "08-simd-kernels", uses: ["Retention", "Kernels"]),

        .testTarget(name: "MatricesTests", dependencies: ["Matrices"]),
        .testTarget(name: "NotebookTests", dependencies: ["Notebook", "Matrices"]),
        .testTarget(name: "RecurrenceTests", dependencies: ["MatrixExpectations", "Recurrence", "Matrices"]),
        .testTarget(
            name: "DiagonalisationTests",
            dependencies: ["MatrixExpectations", 
                "Diagonalisation", "Recurrence", "Matrices",
                .product(name: "ComplexModule", package: "swift-numerics"),
            ]
        ),
        .testTarget(
            name: "RetentionTests",
            dependencies: [
                "Retention", "Matrices",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors"]),
        .testTarget(
            name: "TorchscaleCheckpointTests",
            dependencies: ["TorchscaleCheckpoint", "RetNetModel", "MultiScaleRetention", "SafeTensors", "Matrices", "ProductRunner"]
        ),
        // Expectations on matrices shared by the test targets (Swift Testing).
        .target(name: "MatrixExpectations", dependencies: ["Matrices"]),
        // Runs built executables from the tests and captures their output (the command-line tests share it).
        .target(name: "ProductRunner"),
        // Runs the built chapter executables and compares their pages with the committed ones.
        .testTarget(name: "ChapterTests", dependencies: ["Notebook", "ProductRunner"]),
        .testTarget(name: "MultiScaleRetentionTests", dependencies: ["MatrixExpectations", "MultiScaleRetention", "Retention", "Matrices"]),
        .testTarget(name: "RetNetModelTests", dependencies: ["MatrixExpectations", "RetNetModel", "MultiScaleRetention", "Retention", "Matrices"]),
        .testTarget(name: "GraphsTests", dependencies: ["Graphs"]),
        .testTarget(name: "GraphvizRenderingTests", dependencies: ["GraphvizRendering", "Graphs"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "Retention", "Matrices"]),
        .testTarget(
            name: "FastRetNetTests",
            dependencies: ["FastRetNet", "RetNetModel", "TorchscaleCheckpoint", "MultiScaleRetention", "Retention", "Matrices"]
        ),
        .testTarget(name: "TracingTests", dependencies: ["Tracing", "Retention", "MultiScaleRetention", "RetNetModel", "Matrices"]),
        .testTarget(
            name: "RetentionFiguresTests",
            dependencies: ["RetentionFigures", "Graphs", "Tracing", "Retention", "MultiScaleRetention", "RetNetModel", "Matrices", "ProductRunner"]
        ),
    ]
)
