import ArgumentParser

/// `retnet`: run a torchscale RetNet checkpoint with this package's model, no Python needed.
struct RetNetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retnet",
        abstract: "Run a torchscale 0.3.0 RetNet checkpoint (config.json + model.safetensors) in Swift.",
        discussion: "Build it optimised: swift run -c release retnet …",
        subcommands: [Logits.self, Generate.self, Inspect.self, Gradients.self, Train.self])
}

RetNetCommand.main()
