import ArgumentParser
import Matrices
import TorchscaleCheckpoint

struct Inspect: ReportingCommand {
    static let configuration = CommandConfiguration(abstract: "Print the config, the tensors, the parameter count and how far the stored θ and log γ buffers are from what the config implies.")

    @OptionGroup var checkpoint: CheckpointOptions

    func execute() throws {
        let checkpoint = try checkpoint.load()
        // Building the model checks every tensor; inspect reports a broken checkpoint too.
        _ = try checkpoint.model(Float.self)
        print(try checkpoint.config.json())
        for name in checkpoint.weights.names {
            let tensor = checkpoint.weights.tensors[name]!
            print("\(name)  \(tensor.dtype.rawValue)  \(tensor.shape)")
        }
        print("parameters: \(Format.grouped(checkpoint.parameterCount))")
        // The buffers the model computes with, and how far they are from what the config implies.
        let buffers = try checkpoint.storedBuffers()
        for buffer in buffers { print("buffer " + buffer.summary) }
        if buffers.isEmpty { print("buffers: none stored; θ and γ computed from the config") }
    }
}
