import ArgumentParser

/// The sizes and decay of the single-head examples of chapters 02–05, as one group of flags:
/// `--dim`, `--value-dim`, `--gamma`, validated together.
public struct SingleHeadSizes: ParsableArguments {
    @Option(help: "Width d of the inputs, queries and keys; even (complex numbers are stored as real pairs).")
    public var dim = 4

    @Option(help: "Width d_v of the values.")
    public var valueDim = 3

    @Option(help: "The decay γ, in (0, 1].")
    public var gamma = 1 - 1.0 / 32

    public init() {}

    public func validate() throws {
        try FlagCheck.pairedWidth(dim, reason: "complex numbers are stored as real pairs")
        try FlagCheck.width(valueDim)
        try FlagCheck.gamma(gamma)
    }
}
