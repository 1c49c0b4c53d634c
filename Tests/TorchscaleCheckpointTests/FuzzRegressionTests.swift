import Foundation
import Testing
import TorchscaleCheckpoint

/// Inputs the fuzz targets (Tests/Fuzz) found, kept as ordinary tests. Each once made the loader
/// allocate by a size read from the config before the file had shown it: now each is a clean
/// error, at once.
@Suite struct FuzzRegressionTests {
    /// decoder_layers = 10¹²: the loader listed every expected tensor of every layer first
    /// (a 138 MB allocation, then more, then a timeout). Now it stops at the first missing one
    /// (layer 1's: what it found names how far it got); the time limit catches a return of the
    /// listing, which would run for hours, without timing a loaded machine.
    @Test(.timeLimit(.minutes(1)))
    func aConfigClaimingATrillionLayersFailsAtTheFirstMissingTensor() throws {
        let scratch = try ScratchCheckpoint()
        defer { scratch.remove() }
        try scratch.editConfig { $0["decoder_layers"] = 1_000_000_000_000 }
        #expect(scratch.loadError() == .missingTensor("layers.1.retention.q_proj.weight"))
    }

    /// decoder_embed_dim = 2⁴⁰: the angle buffer's expected values (2³⁹ floats) were computed
    /// before its shape was compared. Now the shapes of the file decide first.
    @Test func aConfigClaimingHugeWidthsIsAShapeError() throws {
        let scratch = try ScratchCheckpoint()
        defer { scratch.remove() }
        try scratch.editConfig {
            $0["decoder_embed_dim"] = 1 << 40
            $0["decoder_value_embed_dim"] = 1 << 40
            $0["vocab_size"] = 1 << 40
        }
        #expect(scratch.loadError() == .tensorShape(name: "embed_tokens.weight", expected: [1 << 40, 1 << 40], got: [32, 8]))
    }
}

/// Empty files are refused before they are read (Foundation's `Data(contentsOf:)` leaks a buffer
/// for a file of zero bytes, which the fuzz run reported as a leak).
@Suite struct EmptyFileTests {
    @Test func anEmptyConfigIsAClearError() throws {
        let scratch = try ScratchCheckpoint()
        defer { scratch.remove() }
        try Data().write(to: scratch.config)
        #expect(scratch.loadError() == .unreadableConfig(path: scratch.config.path, reason: "the file is empty (expected a JSON object)"))
    }

    @Test func emptyWeightsAreATruncatedFile() throws {
        let scratch = try ScratchCheckpoint()
        defer { scratch.remove() }
        try Data().write(to: scratch.weights)
        #expect(scratch.loadError() == .weights(.truncatedLength(fileSize: 0)))
    }
}
