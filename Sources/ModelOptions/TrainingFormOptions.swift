import ArgumentParser

/// The form the heads of a training step run in, as `retnet train` takes it and `bench training`
/// times it: one flag spelling, one help text and one check of the chunk size for both.
public struct TrainingFormOptions: ParsableArguments {
    /// The forms of the heads in the gradients.
    public enum Form: String, ExpressibleByArgument, CaseIterable, Sendable {
        case parallel, chunkwise, tiled
    }

    @Option(help: """
        The heads' form for the gradients: parallel (T×T scores per head; a Transformer's naive attention), \
        chunkwise (a RetNet's: --chunk-size tokens at a time, each chunk's state kept) or tiled (a Transformer's \
        softmax attention in blocks of --chunk-size, FlashAttention); the last two keep memory linear in the \
        context.
        """)
    public var form: Form = .parallel
    @Option(help: "Chunk (or block) size B for --form chunkwise or tiled, 1 … --context.") public var chunkSize: Int?

    public init() {}

    /// A chunk size with the chunkwise or tiled form only, and always with them, from 1 to
    /// `context`; throws naming the flags otherwise.
    public func validate(context: Int) throws {
        switch (form, chunkSize) {
        case (.parallel, nil): return
        case (.parallel, let b?): throw ValidationError("--chunk-size \(b) is for --form chunkwise or tiled; the form is parallel.")
        case (_, nil): throw ValidationError("--form \(form.rawValue) needs --chunk-size (1 … --context \(context)).")
        case (_, let b?):
            guard b >= 1 else { throw ValidationError("--chunk-size must be at least 1, got \(b).") }
            guard b <= context else {
                throw ValidationError("--chunk-size \(b) is longer than --context \(context): a chunk is at most the context.")
            }
        }
    }

    /// The chunk size of the chunkwise or tiled form, nil for the parallel one.
    public var blockSize: Int? { form == .parallel ? nil : chunkSize }
}
