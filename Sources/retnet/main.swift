import ArgumentParser
import Foundation

/// `retnet`: run a torchscale RetNet checkpoint with this package's model, no Python needed.
struct RetNetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retnet",
        abstract: "Run a torchscale 0.3.0 RetNet checkpoint (config.json + model.safetensors) in Swift, or train one on a text.",
        discussion: "Build it optimised: swift run -c release retnet …",
        subcommands: [Logits.self, Generate.self, Inspect.self, Gradients.self, Train.self])
}

// Line by line to a pipe or a file as to a terminal: a log of an interrupted run keeps every
// line printed before the interruption, in order with standard error.
if let stream = StandardOutput.stream { setvbuf(stream, nil, _IOLBF, 0) }
RetNetCommand.main()

/// C's standard output stream, for setvbuf and fflush.
enum StandardOutput {
    /// C's `stdout`, read through the symbol table: Swift 6 refuses a reference to the C global
    /// itself (shared mutable state), and this program only reads it, before and between prints.
    static var stream: UnsafeMutablePointer<FILE>? {
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), "stdout")?.assumingMemoryBound(to: UnsafeMutablePointer<FILE>?.self).pointee
    }

    /// Writes what `print` has buffered.
    static func flush() { fflush(stream) }
}
