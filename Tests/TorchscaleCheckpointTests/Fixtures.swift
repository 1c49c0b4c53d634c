import TestSupport
import TorchscaleCheckpoint

extension Fixtures {
    /// torchscale's recorded outputs for one fixture (its logits.json).
    static func record(_ name: String) throws -> RecordedLogits {
        try RecordedLogits(contentsOf: logits(name))
    }
}
