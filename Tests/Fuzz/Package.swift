// swift-tools-version: 6.1
//
// libFuzzer targets for the code that reads untrusted files: the safetensors reader, the
// checkpoint config parser, a whole checkpoint directory load (torchscale's and yet-another-retnet's), and a
// training checkpoint's training.json (its settings, and a trainer started from them). Kept out of the main
// package's graph (it depends on it by path); built and run by `Tests/Fuzz/run`, which passes
// `-sanitize=fuzzer,address` to every module so the code under test is instrumented too.

import PackageDescription


let package = Package(
    name: "RetNetFuzz",
    dependencies: [.package(name: "RetNet", path: "../..")],
    targets: [
        // libFuzzer's driver, which each target's main calls with its LLVMFuzzerTestOneInput.
        .systemLibrary(name: "CLibFuzzer"),
        .executableTarget(
            name: "fuzz-safetensors",
            dependencies: ["CLibFuzzer", .product(name: "SafeTensors", package: "RetNet")]
        ),
        .executableTarget(
            name: "fuzz-config",
            dependencies: ["CLibFuzzer", .product(name: "TorchscaleCheckpoint", package: "RetNet"),
                           .product(name: "RetNetModel", package: "RetNet")]
        ),
        // How the two checkpoint targets unpack one input into a scratch checkpoint directory.
        .target(name: "PackedCheckpoint"),
        .executableTarget(
            name: "fuzz-checkpoint",
            dependencies: ["CLibFuzzer", "PackedCheckpoint", .product(name: "TorchscaleCheckpoint", package: "RetNet")]
        ),
        .executableTarget(
            name: "fuzz-yar-checkpoint",
            dependencies: ["CLibFuzzer", "PackedCheckpoint", .product(name: "YetAnotherRetNetCheckpoint", package: "RetNet")]
        ),
        .executableTarget(
            name: "fuzz-training",
            dependencies: ["CLibFuzzer", .product(name: "Training", package: "RetNet"), .product(name: "FastTraining", package: "RetNet"),
                           .product(name: "RetNetModel", package: "RetNet")]
        ),
    ]
)
