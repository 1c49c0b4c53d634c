import Foundation
import Matrices
import TorchscaleCheckpoint

/// The committed torchscale fixtures (Tests/Fixtures/torchscale, made by make_fixtures.py).
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/torchscale")

    static let names = ["one-head-gelu", "two-heads-swish-wide-values", "four-heads-three-layers-eps0",
                        "scaled-embedding-eps0", "wide-head-key-dim-128",
                        "float64-built-saved-f32", "saved-f16", "saved-bf16"]

    static func directory(_ name: String) -> URL { root.appendingPathComponent(name) }

    /// torchscale's recorded outputs for one fixture.
    static func record(_ name: String) throws -> RecordedLogits {
        try RecordedLogits(contentsOf: directory(name).appendingPathComponent("logits.json"))
    }
}
