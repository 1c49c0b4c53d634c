import ArgumentParser
import RetNetModel

/// The shape of the model `retnet train` trains and `bench training` times, as one group of
/// flags with one spelling and one default each: nanoGPT's CPU example for shakespeare_char
/// (4 layers, 4 heads, width 128), with the paper's V = 2·width and FFN 2·width unless given.
public struct ModelShapeOptions: ParsableArguments {
    /// The largest size any of these flags takes (a width of 65,536 already makes a model of
    /// billions of weights): a larger number is refused at once, before anything is allocated.
    public static let maximumSize = 65_536

    @Option(help: "Blocks (decoder_layers).") public var layers = 4
    @Option(help: "Retention heads per block (decoder_retention_heads).") public var heads = 4
    @Option(help: "Model width E (decoder_embed_dim).") public var width = 128
    @Option(help: "Value width V (decoder_value_embed_dim; default 2·width, the paper's).") public var valueWidth: Int?
    @Option(help: "FFN hidden width (decoder_ffn_embed_dim; default 2·width, the paper's).") public var ffnWidth: Int?

    public init() {}

    public func validate() throws {
        for (flag, value) in [("--layers", layers), ("--heads", heads), ("--width", width)] where value < 1 {
            throw ValidationError("\(flag) must be at least 1, got \(value).")
        }
        for (flag, value) in [("--value-width", valueWidth), ("--ffn-width", ffnWidth)] {
            if let value, value < 1 { throw ValidationError("\(flag) must be at least 1, got \(value).") }
        }
        for (flag, value) in [("--layers", layers), ("--heads", heads), ("--width", width), ("--value-width", valueWidth ?? 1),
                              ("--ffn-width", ffnWidth ?? 1)] where value > Self.maximumSize {
            throw ValidationError("\(flag) must be at most \(Self.maximumSize), got \(value).")
        }
        guard width % heads == 0 && (width / heads) % 2 == 0 else {
            throw ValidationError("--width must be a multiple of --heads with an even width per head, got \(width) and \(heads).")
        }
        if let valueWidth, valueWidth % heads != 0 {
            throw ValidationError("--value-width must be a multiple of --heads, got \(valueWidth) and \(heads).")
        }
    }

    /// The value width V: --value-width, or 2·width.
    public var valueDimension: Int { valueWidth ?? 2 * width }
    /// The FFN hidden width: --ffn-width, or 2·width.
    public var ffnDimension: Int { ffnWidth ?? 2 * width }

    /// The torchscale-variant configuration of this shape over a vocabulary of `vocabulary` tokens.
    public func config(vocabulary: Int) -> RetNetConfig {
        RetNetConfig(variant: .torchscale, embedDim: width, valueEmbedDim: valueDimension, retentionHeads: heads,
                     ffnEmbedDim: ffnDimension, layers: layers, vocabSize: vocabulary)
    }
}

/// The batches a training step reads: --batch-size sequences of --context predictions each
/// (--context + 1 tokens), nanoGPT's batch_size and block_size.
public struct BatchShapeOptions: ParsableArguments {
    @Option(help: "Context: tokens each prediction may look back over (nanoGPT's block_size).") public var context = 64
    @Option(help: "Sequences per step.") public var batchSize = 12

    public init() {}

    public func validate() throws {
        for (flag, value) in [("--context", context), ("--batch-size", batchSize)] where value < 1 {
            throw ValidationError("\(flag) must be at least 1, got \(value).")
        }
        for (flag, value) in [("--context", context), ("--batch-size", batchSize)] where value > ModelShapeOptions.maximumSize {
            throw ValidationError("\(flag) must be at most \(ModelShapeOptions.maximumSize), got \(value).")
        }
    }
}
